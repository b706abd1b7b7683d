import { FINISHED_STATUSES, KEY_HOLDING_STATUSES, type TaskStatus } from '@errand/core';
import { literal, type SqlDialect } from './dialect.js';

/** `('a', 'b')`: a list of statuses as SQL literals. */
export function statusList(statuses: readonly TaskStatus[]): string {
  return `(${statuses.map(literal).join(', ')})`;
}

/** Statuses a task never leaves on its own, as an SQL list. */
export const FINISHED_SQL = statusList(FINISHED_STATUSES);

/** Statuses in which a task holds its idempotency key, as an SQL list. */
export const KEY_HOLDING_SQL = statusList(KEY_HOLDING_STATUSES);

/** A column reference, optionally qualified: `col('t', 'status')` → `t.status`. */
export function col(alias: string | null, column: string): string {
  return alias ? `${alias}.${column}` : column;
}

/**
 * The rows a claim may take over, whoever owns them: `pending`, `running`,
 * and `interrupted` with `requeue_on_interrupt`. Partial indexes repeat it
 * word for word so that the planner can prove them.
 */
export function claimableSql(dialect: SqlDialect, alias: string | null = null): string {
  const status = col(alias, 'status');
  return `(${status} IN ('pending', 'running') OR (${status} = 'interrupted' AND ${dialect.isTrue(col(alias, 'requeue_on_interrupt'))}))`;
}

/** Rows that hold their idempotency key (the unique constraint's predicate). */
export function keyHoldingSql(alias: string | null = null): string {
  return `${col(alias, 'idempotency_key')} IS NOT NULL AND ${col(alias, 'status')} IN ${KEY_HOLDING_SQL}`;
}
