import { Params, type SqlDialect, type Statement } from './dialect.js';
import { FINISHED_SQL } from './statuses.js';

/** Tables the fleet statements read. */
export interface FleetTables {
  tasks: string;
  instances: string;
}

/** `getMany()`: the rows of these ids (missing ones are simply absent). */
export function selectMany(
  tables: FleetTables,
  columns: string,
  ids: readonly string[],
  dialect: SqlDialect,
): Statement {
  const params = new Params(dialect);
  return {
    sql: `SELECT ${columns} FROM ${tables.tasks} WHERE ${dialect.inList('id', ids, params)}`,
    values: params.values,
  };
}

/**
 * The two steps of `cancel()`, run in this order in one transaction (or
 * each alone: each is atomic and both are safe to repeat):
 * 1. `cancelUnclaimed`: a pending task nobody live owns becomes cancelled;
 * 2. `requestCancel`: an unfinished task owned by a live instance gets its
 *    request flag (its owner cancels it when its heartbeat reports it).
 * Then `readStatus` tells which happened: `cancelled` with the flag after
 * step 1, unfinished with the flag after step 2, finished otherwise.
 */
export function cancelStatements(
  tables: FleetTables,
  id: string,
  dialect: SqlDialect,
): { cancelUnclaimed: Statement; requestCancel: Statement; readStatus: Statement } {
  const first = new Params(dialect);
  const yes = dialect.bool(true);
  const cancelUnclaimed = {
    sql: `UPDATE ${tables.tasks} SET status = 'cancelled', finished_at = ${dialect.now}, error = 'cancelled',
        cancel_requested = ${yes}
      WHERE id = ${first.add(id)} AND status = 'pending' AND (owner IS NULL OR NOT EXISTS (
        SELECT 1 FROM ${tables.instances} i WHERE i.id = ${tables.tasks}.owner AND i.expires_at > ${dialect.now}))`,
    values: first.values,
  };
  const second = new Params(dialect);
  const requestCancel = {
    sql: `UPDATE ${tables.tasks} SET cancel_requested = ${yes}
      WHERE id = ${second.add(id)} AND status IN ('pending', 'running')`,
    values: second.values,
  };
  const third = new Params(dialect);
  return {
    cancelUnclaimed,
    requestCancel,
    readStatus: {
      sql: `SELECT status FROM ${tables.tasks} WHERE id = ${third.add(id)}`,
      values: third.values,
    },
  };
}

/**
 * What `cancel()` did, from the status read after its two steps and whether
 * step 1 changed a row: see {@link cancelStatements}.
 */
export function cancelOutcome(
  cancelledRows: number,
  status: string | null,
): 'cancelled' | 'requested' | 'finished' | 'missing' {
  if (status === null) return 'missing';
  if (cancelledRows > 0) return 'cancelled';
  return status === 'pending' || status === 'running' ? 'requested' : 'finished';
}

/** The heartbeat's reply: this instance's unfinished tasks whose cancellation was requested. */
export function cancelRequestsOf(tables: FleetTables, instanceId: string, dialect: SqlDialect): Statement {
  const params = new Params(dialect);
  return {
    sql: `SELECT id FROM ${tables.tasks}
      WHERE owner = ${params.add(instanceId)} AND ${dialect.isTrue('cancel_requested')} AND status NOT IN ${FINISHED_SQL}`,
    values: params.values,
  };
}
