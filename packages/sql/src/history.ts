import type { NormalizedTaskQuery } from '@errand/core';
import { Params, type SqlDialect, type Statement } from './dialect.js';

/**
 * The history filter, once for every SQL store: each set field of the query
 * becomes one condition that lands on an index (`(status|name, created_at,
 * id)`, the key index, `(created_at, id)` for the range and the cursor).
 * Returns `WHERE ...` or an empty string.
 */
export function historyWhere(
  query: NormalizedTaskQuery,
  dialect: SqlDialect,
  params: Params,
  withCursor: boolean,
): string {
  const conditions: string[] = [];
  if (query.statuses) conditions.push(dialect.inList('status', query.statuses, params));
  if (query.names) conditions.push(dialect.inList('name', query.names, params));
  // created_at holds whole milliseconds: rounding a fractional bound up keeps
  // `>=` and `<` exact and the parameter a valid BIGINT.
  if (query.since !== null)
    conditions.push(`created_at >= ${dialect.time(params.add(Math.ceil(query.since)))}`);
  if (query.until !== null)
    conditions.push(`created_at < ${dialect.time(params.add(Math.ceil(query.until)))}`);
  if (query.idempotencyKey !== null) conditions.push(`idempotency_key = ${params.add(query.idempotencyKey)}`);
  if (query.errorContains !== null) conditions.push(dialect.contains('error', query.errorContains, params));
  if (query.queues) conditions.push(dialect.inList('queue', query.queues, params));
  if (query.tags) conditions.push(dialect.tagsMatch('tags', query.tags, params));
  if (withCursor && query.after)
    conditions.push(dialect.before(query.after.createdAt, query.after.id, params));
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

/** One page of history, newest first, strictly after the cursor: `SELECT <columns> ...`. */
export function historyPage(
  table: string,
  columns: string,
  query: NormalizedTaskQuery,
  dialect: SqlDialect,
): Statement {
  const params = new Params(dialect);
  const where = historyWhere(query, dialect, params, true);
  const limit = params.add(query.limit);
  return {
    sql: `SELECT ${columns} FROM ${table} ${where} ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
    values: params.values,
  };
}

/** Totals per status over the same filter (cursor and limit ignored): rows of `status, n`. */
export function historyCounts(table: string, query: NormalizedTaskQuery, dialect: SqlDialect): Statement {
  const params = new Params(dialect);
  const where = historyWhere(query, dialect, params, false);
  return {
    sql: `SELECT status, COUNT(*) AS n FROM ${table} ${where} GROUP BY status`,
    values: params.values,
  };
}
