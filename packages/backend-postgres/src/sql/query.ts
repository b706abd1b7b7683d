import type { NormalizedTaskQuery } from '@errand/core';
import type { Tables } from '../tables.js';

export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * The WHERE clause shared by `query()` and `counts()`. Each condition maps to
 * an index: `(status, created_at, id)`, `(name, created_at, id)`,
 * `(idempotency_key, created_at, id)`, and `(created_at DESC, id DESC)` for
 * the time range and the cursor.
 */
function filter(query: NormalizedTaskQuery, withCursor: boolean): Statement {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (query.statuses) conditions.push(`status = ANY(${param(query.statuses)}::text[])`);
  if (query.names) conditions.push(`name = ANY(${param(query.names)}::text[])`);
  // created_at holds whole milliseconds: rounding a fractional bound up keeps
  // `>=` and `<` exact and the parameter a valid bigint.
  if (query.since !== null) conditions.push(`created_at >= ${param(Math.ceil(query.since))}::bigint`);
  if (query.until !== null) conditions.push(`created_at < ${param(Math.ceil(query.until))}::bigint`);
  if (query.idempotencyKey !== null) conditions.push(`idempotency_key = ${param(query.idempotencyKey)}`);
  // strpos, not LIKE: a substring search needs no wildcard escaping. The
  // needle comes lower-cased from core.
  if (query.errorContains !== null)
    conditions.push(`strpos(lower(error), ${param(query.errorContains)}) > 0`);
  if (withCursor && query.after) {
    conditions.push(`(created_at, id) < (${param(query.after.createdAt)}::bigint, ${param(query.after.id)})`);
  }
  return { text: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', values };
}

/** A page of history, newest first, strictly after the cursor. */
export function queryStatement(t: Tables, query: NormalizedTaskQuery): Statement {
  const where = filter(query, true);
  where.values.push(query.limit);
  return {
    text: `SELECT * FROM ${t.tasks} ${where.text} ORDER BY created_at DESC, id DESC LIMIT $${where.values.length}`,
    values: where.values,
  };
}

/** Totals per status over the same filter, cursor and limit ignored. */
export function countsStatement(t: Tables, query: NormalizedTaskQuery): Statement {
  const where = filter(query, false);
  return {
    text: `SELECT status, count(*) AS count FROM ${t.tasks} ${where.text} GROUP BY status`,
    values: where.values,
  };
}

export function getStatement(t: Tables): string {
  return `SELECT * FROM ${t.tasks} WHERE id = $1`;
}
