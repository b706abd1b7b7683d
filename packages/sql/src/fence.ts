import { TASK_COLUMNS, TRANSITION_COLUMNS } from './columns.js';
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
 * The assignments of a fenced update of `columns` and its fence: each column takes the incoming value
 * (the cancel request sticky), in core's field order (`owner` and `status` last, which MySQL,
 * assigning left to right, needs). The stored row's columns are qualified by `stored` (the table or
 * its alias; none for MySQL); `incoming` names the written record's value of a column.
 */
function fencedSet(
  dialect: SqlDialect,
  stored: string | null,
  incoming: (column: string) => string,
  columns: readonly string[],
): { set: Array<[column: string, expression: string]>; fence: string } {
  const row = (name: (column: string) => string) => ({
    owner: name('owner'),
    status: name('status'),
    cancelRequested: name('cancel_requested'),
  });
  const [old, next] = [row((column) => col(stored, column)), row(incoming)];
  const sticky = stickyCancelSql(old, next, dialect.isTrue);
  const value = (column: string) => (column === 'cancel_requested' ? sticky : incoming(column));
  return { set: columns.map((column) => [column, value(column)]), fence: fenceSql(old, next) };
}

/**
 * The update of a task upsert, by the rules of `write()`: every column but `id` takes the row being
 * inserted's value (see {@link fencedSet}), and `fence` says whether the update applies at all.
 */
export function fencedUpdate(
  dialect: SqlDialect,
  stored: string | null,
): { set: Array<[column: string, expression: string]>; fence: string } {
  const columns = TASK_COLUMNS.filter((column) => column !== 'id');
  return fencedSet(dialect, stored, dialect.incoming, columns);
}

/**
 * The update of a `'transition'` write (see `WriteKind` of `@errand/core`): only the
 * {@link TRANSITION_COLUMNS}, each from `incoming` (a bound parameter, a column of a batch), under
 * the same fence and sticky cancel request as the upsert. Its `WHERE` is `id = <incoming id> AND
 * fence`: a row it leaves as it was is fenced or gone, which the full upsert then settles.
 */
export function transitionUpdate(
  dialect: SqlDialect,
  stored: string | null,
  incoming: (column: string) => string,
): { set: Array<[column: string, expression: string]>; fence: string } {
  return fencedSet(dialect, stored, incoming, TRANSITION_COLUMNS);
}
