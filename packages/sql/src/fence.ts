import { TASK_COLUMNS } from './columns.js';
import type { SqlDialect } from './dialect.js';
import { col, FINISHED_SQL } from './statuses.js';

/**
 * The fencing rule of `SnapshotBackend.write()` as a condition: the update
 * applies when the stored row has no owner or the writer's owner, or when a
 * finished row goes back to `pending` (a manual retry from any instance).
 * `stored` and `incoming` are how the statement names the two rows' columns
 * (`t.owner` / `EXCLUDED.owner`, `owner` / `VALUES(owner)`...).
 */
export function fenceSql(
  stored: { owner: string; status: string },
  incoming: { owner: string; status: string },
): string {
  return `(${stored.owner} IS NULL OR ${stored.owner} = ${incoming.owner} OR (${stored.status} IN ${FINISHED_SQL} AND ${incoming.status} = 'pending'))`;
}

/**
 * The new `cancel_requested` of an update: a request survives the owner's
 * later writes (they never know of it), except a manual retry (a finished
 * row back to `pending`), which starts afresh. `isTrue` spells a boolean test.
 */
export function stickyCancelSql(
  stored: { status: string; cancelRequested: string },
  incoming: { status: string; cancelRequested: string },
  isTrue: (column: string) => string,
): string {
  return `CASE WHEN ${stored.status} IN ${FINISHED_SQL} AND ${incoming.status} = 'pending' THEN ${incoming.cancelRequested}
    WHEN ${isTrue(stored.cancelRequested)} THEN ${stored.cancelRequested} ELSE ${incoming.cancelRequested} END`;
}

/**
 * The update of a task upsert, by the rules of `write()`: every column but `id` takes the incoming
 * value (the cancel request sticky), in core's field order (`owner` and `status` last, which MySQL,
 * assigning left to right, needs), and `fence` says whether the update applies at all. The stored
 * row's columns are qualified by `stored` (the table or its alias; none for MySQL).
 */
export function fencedUpdate(
  dialect: SqlDialect,
  stored: string | null,
): { set: Array<[column: string, expression: string]>; fence: string } {
  const row = (name: (column: string) => string) => ({
    owner: name('owner'),
    status: name('status'),
    cancelRequested: name('cancel_requested'),
  });
  const [old, incoming] = [row((column) => col(stored, column)), row(dialect.incoming)];
  const sticky = stickyCancelSql(old, incoming, dialect.isTrue);
  const value = (column: string) => (column === 'cancel_requested' ? sticky : dialect.incoming(column));
  const columns = TASK_COLUMNS.filter((column) => column !== 'id');
  return { set: columns.map((column) => [column, value(column)]), fence: fenceSql(old, incoming) };
}
