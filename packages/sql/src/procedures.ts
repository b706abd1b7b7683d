import type {
  Aggregate,
  AggregateRequest,
  CancelOutcome,
  HeartbeatReply,
  QueueOverride,
  QueueOverridePatch,
} from '@errand/core';
import { aggregateFromRows, aggregateStatements } from './aggregate.js';
import type { SqlDialect, Statement } from './dialect.js';
import { cancelOutcome, cancelRequestsOf, cancelStatements, type FleetTables, selectMany } from './fleet.js';
import {
  type FlowTables,
  lockCounter,
  lockStatements,
  overrideFromRow,
  overrideStatements,
  selectOverrides,
  semaphoreStatements,
  takeFromBucket,
  writeCounter,
} from './flow.js';
import { text } from './rows.js';

/** What one statement gave back: its rows (a read, or `RETURNING`) and how many rows it changed. */
export interface StatementResult {
  rows: ReadonlyArray<Record<string, unknown>>;
  changes: number;
}

/**
 * The statements of one store operation whose later steps depend on earlier
 * results, written once for the three SQL stores: each `yield` hands the
 * driver one statement and resumes with its result. A store drives it
 * inside its own transaction, synchronously (better-sqlite3) or not
 * ({@link runProcedure}), so the sequence and its arithmetic live here.
 */
export type Procedure<T> = Generator<Statement, T, StatementResult>;

/**
 * Drives `procedure` with an asynchronous `execute` (one statement at a time, in order). A store's
 * own procedures may expect more of each result than rows and changes (`R`).
 */
export async function runProcedure<T, R extends StatementResult = StatementResult>(
  procedure: Generator<Statement, T, R>,
  execute: (statement: Statement) => Promise<R>,
): Promise<T> {
  let step = procedure.next();
  while (!step.done) step = procedure.next(await execute(step.value));
  return step.value;
}

/**
 * `heartbeat()`: the store's own upsert of the heartbeat row, then the reply
 * (this instance's cancel requests and every queue override).
 */
export function* heartbeatProcedure(
  t: FlowTables,
  upsert: Statement,
  instanceId: string,
  dialect: SqlDialect,
): Procedure<HeartbeatReply> {
  yield upsert;
  const requests = yield cancelRequestsOf(t, instanceId, dialect);
  const overrides = yield selectOverrides(t);
  return {
    cancelRequests: requests.rows.map((row) => text(row.id)),
    queues: overrides.rows.map(overrideFromRow),
  };
}

/** `getMany()`: the rows of `ids`, `chunk` ids a statement (engines bound the placeholders of one). */
export function* getManyProcedure(
  tables: FleetTables,
  columns: string,
  ids: readonly string[],
  dialect: SqlDialect,
  chunk = 500,
): Procedure<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < ids.length; i += chunk) {
    rows.push(...(yield selectMany(tables, columns, ids.slice(i, i + chunk), dialect)).rows);
  }
  return rows;
}

/** `cancel()`: see {@link cancelStatements}. */
export function* cancelProcedure(
  tables: FleetTables,
  id: string,
  dialect: SqlDialect,
): Procedure<CancelOutcome> {
  const { cancelUnclaimed, requestCancel, readStatus } = cancelStatements(tables, id, dialect);
  const cancelled = yield cancelUnclaimed;
  yield requestCancel;
  const { rows } = yield readStatus;
  return cancelOutcome(cancelled.changes, rows.length > 0 ? text(rows[0]!.status) : null);
}

/** `aggregate()`: its three reads. */
export function* aggregateProcedure(
  table: string,
  request: AggregateRequest,
  dialect: SqlDialect,
): Procedure<Aggregate> {
  const { finished, durations, oldestPending } = aggregateStatements(table, request, dialect);
  const counts = yield finished;
  const samples = yield durations;
  const oldest = yield oldestPending;
  return aggregateFromRows(counts.rows, samples.rows, oldest.rows[0]);
}

/** `setQueueOverride()`: upsert, delete when left empty, read back. */
export function* overrideProcedure(
  t: FlowTables,
  name: string,
  patch: QueueOverridePatch,
  dialect: SqlDialect,
): Procedure<QueueOverride | null> {
  const { upsert, deleteEmpty, read } = overrideStatements(t, name, patch, dialect);
  yield upsert;
  yield deleteEmpty;
  const { rows } = yield read;
  return rows.length > 0 ? overrideFromRow(rows[0]!) : null;
}

/**
 * `acquire()`: on the locked counter row of `key`, frees the units of dead
 * holders, then grants `min(want, limit - used)` (never below 0). The row is
 * one of its own (`semaphore:` and the key): core names a queue's semaphore
 * and its token bucket alike, and a bucket whose row a semaphore created
 * would start empty instead of full.
 */
export function* acquireProcedure(
  t: FlowTables,
  key: string,
  holder: string,
  want: number,
  limit: number,
  dialect: SqlDialect,
): Procedure<number> {
  for (const statement of lockCounter(t, `semaphore:${key}`, 0, dialect)) yield statement;
  const semaphore = semaphoreStatements(t, key, holder, dialect);
  yield semaphore.dropDead;
  const used = Number((yield semaphore.used).rows[0]?.used ?? 0);
  const granted = Math.max(0, Math.min(want, limit - used));
  if (granted > 0) yield semaphore.add(granted);
  return granted;
}

/** `release()`: gives back `count` units, dropping the holder's row once empty. */
export function* releaseProcedure(
  t: FlowTables,
  key: string,
  holder: string,
  count: number,
  dialect: SqlDialect,
): Procedure<void> {
  const semaphore = semaphoreStatements(t, key, holder, dialect);
  yield semaphore.release(count);
  yield semaphore.dropEmpty;
}

/** `takeTokens()`: the bucket of `key` (full when new), refilled on the store's clock, then taken from. */
export function* takeTokensProcedure(
  t: FlowTables,
  key: string,
  want: number,
  rate: { max: number; perMs: number },
  dialect: SqlDialect,
): Procedure<number> {
  const [create, read] = lockCounter(t, key, rate.max, dialect);
  yield create!;
  const row = (yield read!).rows[0]!;
  const now = Number(row.now);
  const bucket = takeFromBucket({ tokens: Number(row.value), at: Number(row.at) }, now, want, rate);
  yield writeCounter(t, key, bucket.tokens, now, dialect);
  return bucket.taken;
}

/** `tryLock()`: take or renew, then whether the lease is `holder`'s. */
export function* tryLockProcedure(
  t: FlowTables,
  name: string,
  holder: string,
  ttlMs: number,
  dialect: SqlDialect,
): Procedure<boolean> {
  const { take, read } = lockStatements(t, name, holder, ttlMs, dialect);
  yield take;
  const { rows } = yield read;
  return rows.length > 0 && text(rows[0]!.holder) === holder;
}
