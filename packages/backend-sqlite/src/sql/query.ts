import type { NormalizedTaskQuery } from '@errand/core';

/**
 * Turns a history filter into a WHERE clause and its parameters. Every
 * filter lands on an index: (status|name, created_at, id) or the
 * idempotency-key index; the cursor is a row-value comparison.
 */
export function whereClause(
  query: NormalizedTaskQuery,
  withCursor: boolean,
): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const list = (column: string, values: readonly string[]) => {
    clauses.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  if (query.statuses) list('status', query.statuses);
  if (query.names) list('name', query.names);
  if (query.since !== null) {
    clauses.push('created_at >= ?');
    params.push(query.since);
  }
  if (query.until !== null) {
    clauses.push('created_at < ?');
    params.push(query.until);
  }
  if (query.idempotencyKey !== null) {
    clauses.push('idempotency_key = ?');
    params.push(query.idempotencyKey);
  }
  if (query.errorContains !== null) {
    // instr() rather than LIKE: no wildcard in the user's text can widen the match.
    clauses.push('instr(lower(error), ?) > 0');
    params.push(query.errorContains);
  }
  if (withCursor && query.after) {
    clauses.push('(created_at < ? OR (created_at = ? AND id < ?))');
    params.push(query.after.createdAt, query.after.createdAt, query.after.id);
  }
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
