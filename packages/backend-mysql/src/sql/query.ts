import type { NormalizedTaskQuery } from '@errand/core';
import { TASK_SELECT } from '../row.js';
import type { Tables } from '../tables.js';

interface Where {
  sql: string;
  values: unknown[];
}

/** `!` escapes LIKE wildcards; unlike `\`, its meaning does not depend on NO_BACKSLASH_ESCAPES. */
function likeContains(text: string): string {
  return `%${text.replace(/[!%_]/g, (char) => `!${char}`)}%`;
}

/**
 * The filter every history statement shares. Each field maps onto an index
 * prefix: status and name onto `(status|name, created_at, id)`, the time
 * range and the cursor onto `(created_at, id)`.
 */
function where(query: NormalizedTaskQuery, withCursor: boolean): Where {
  const parts: string[] = [];
  const values: unknown[] = [];
  if (query.statuses) {
    parts.push('status IN (?)');
    values.push(query.statuses);
  }
  if (query.names) {
    parts.push('name IN (?)');
    values.push(query.names);
  }
  if (query.since !== null) {
    parts.push('created_at >= ?');
    values.push(query.since);
  }
  if (query.until !== null) {
    parts.push('created_at < ?');
    values.push(query.until);
  }
  if (query.idempotencyKey !== null) {
    parts.push('idempotency_key = ?');
    values.push(query.idempotencyKey);
  }
  if (query.errorContains !== null) {
    // The column collation is binary, so LOWER() on both sides makes it case-insensitive
    // without also making it accent-insensitive as a _ci collation would.
    parts.push("LOWER(error) LIKE ? ESCAPE '!'");
    values.push(likeContains(query.errorContains));
  }
  if (withCursor && query.after) {
    // Spelled out rather than `(created_at, id) < (?, ?)` so both servers use the index range.
    parts.push('created_at <= ? AND (created_at < ? OR id < ?)');
    values.push(query.after.createdAt, query.after.createdAt, query.after.id);
  }
  return { sql: parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : '', values };
}

/** One page of history, newest first. */
export function selectPage(tables: Tables, query: NormalizedTaskQuery): Where {
  const filter = where(query, true);
  return {
    sql: `SELECT ${TASK_SELECT} FROM ${tables.tasks}${filter.sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
    values: [...filter.values, query.limit],
  };
}

/** Totals per status; paging fields ignored. */
export function countByStatus(tables: Tables, query: NormalizedTaskQuery): Where {
  const filter = where(query, false);
  return {
    sql: `SELECT status, COUNT(*) AS n FROM ${tables.tasks}${filter.sql} GROUP BY status`,
    values: filter.values,
  };
}

export function selectById(tables: Tables): string {
  return `SELECT ${TASK_SELECT} FROM ${tables.tasks} WHERE id = ?`;
}
