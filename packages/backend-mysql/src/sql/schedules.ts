import type { JobRunOutcome, StoredJob, StoredTrigger, TickClaim } from '@errand/core';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { inTransaction } from '../connection.js';
import { nullableNumber, nullableText, text } from '../row.js';
import type { Tables } from '../tables.js';
import { STORE_NOW } from './clock.js';
import { prepareWrite, retryWrite, writeInTransaction } from './write.js';

/** `SELECT` list that {@link rowToJob} reads (`trigger` is a reserved word). */
const JOB_SELECT =
  'id, task_name, `trigger`, definition_hash, options, next_run_at, last_run_at, last_outcome, ' +
  'paused, orphaned, active_runs, updated_at';

function json<T>(value: unknown): T {
  return JSON.parse(text(value)) as T;
}

function rowToJob(row: RowDataPacket): StoredJob {
  return {
    id: text(row.id),
    taskName: text(row.task_name),
    trigger: json<StoredTrigger>(row.trigger),
    definitionHash: text(row.definition_hash),
    options: json<Record<string, unknown>>(row.options),
    nextRunAt: nullableNumber(row.next_run_at),
    lastRunAt: nullableNumber(row.last_run_at),
    lastOutcome: nullableText(row.last_outcome) as JobRunOutcome | null,
    paused: Number(row.paused) === 1,
    orphaned: Number(row.orphaned) === 1,
    activeRuns: json<string[]>(row.active_runs),
    updatedAt: Number(row.updated_at),
  };
}

/**
 * Rows an `UPDATE` matched, whether or not it changed them. mysql2 asks for
 * matched rows by default (`CLIENT_FOUND_ROWS`), but an application's pool
 * may turn that flag off, and then `affectedRows` counts changed rows only:
 * a claim that writes the values already stored would look lost. The
 * server's info text ("Rows matched: 1  Changed: 0  Warnings: 0") says it
 * either way.
 */
export function matchedRows(header: ResultSetHeader): number {
  const match = /Rows matched:\s*(\d+)/i.exec(header.info ?? '');
  return match ? Number(match[1]) : header.affectedRows;
}

async function selectJob(
  target: Pool | PoolConnection,
  tables: Tables,
  id: string,
): Promise<StoredJob | null> {
  const [rows] = await target.query<RowDataPacket[]>(
    `SELECT ${JOB_SELECT} FROM ${tables.jobs} WHERE id = ?`,
    [id],
  );
  return rows.length > 0 ? rowToJob(rows[0]!) : null;
}

export function getJob(pool: Pool, tables: Tables, id: string): Promise<StoredJob | null> {
  return selectJob(pool, tables, id);
}

export async function listJobs(pool: Pool, tables: Tables): Promise<StoredJob[]> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT ${JOB_SELECT} FROM ${tables.jobs} ORDER BY id`);
  return rows.map(rowToJob);
}

/** On a duplicate id: the stored definition is the one being registered. */
const SAME_DEFINITION = 'definition_hash = VALUES(definition_hash)';

/**
 * `register()` as one upsert. A new id is inserted as given (not orphaned).
 * On an existing id every assignment compares the stored hash with the
 * given one, so `definition_hash` is assigned last (assignments run left to
 * right and see earlier ones; with MariaDB's SIMULTANEOUS_ASSIGNMENT the
 * result is the same): same hash, only `orphaned` clears; another hash,
 * the definition and `next_run_at` are replaced. `paused`, `last_run_at`,
 * `last_outcome` and `active_runs` are never touched on a duplicate.
 */
function upsertJob(tables: Tables): string {
  const replaced = (column: string, value = `VALUES(${column})`) =>
    `${column} = IF(${SAME_DEFINITION}, ${column}, ${value})`;
  return `INSERT INTO ${tables.jobs}
      (id, task_name, \`trigger\`, options, next_run_at, last_run_at, last_outcome, paused, orphaned,
       active_runs, updated_at, definition_hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
    ON DUPLICATE KEY UPDATE
      orphaned = 0,
      ${replaced('task_name')},
      ${replaced('`trigger`')},
      ${replaced('options')},
      ${replaced('next_run_at')},
      ${replaced('updated_at', STORE_NOW)},
      definition_hash = VALUES(definition_hash)`;
}

/**
 * The upsert and a read of the row as it now is, in one transaction (the
 * upsert's row lock keeps anyone else from changing it in between). Two
 * instances registering the same new id at once can deadlock inside InnoDB's
 * duplicate-key handling; the loser runs again and finds the row.
 */
export function registerJob(pool: Pool, tables: Tables, job: StoredJob): Promise<StoredJob> {
  const values = [
    job.id,
    job.taskName,
    JSON.stringify(job.trigger),
    JSON.stringify(job.options),
    job.nextRunAt,
    job.lastRunAt,
    job.lastOutcome,
    job.paused ? 1 : 0,
    JSON.stringify(job.activeRuns),
    job.updatedAt,
    job.definitionHash,
  ];
  return retryWrite(() =>
    inTransaction(pool, async (connection) => {
      await connection.query(upsertJob(tables), values);
      return (await selectJob(connection, tables, job.id))!;
    }),
  );
}

export async function markOrphanJobs(
  pool: Pool,
  tables: Tables,
  declaredIds: readonly string[],
): Promise<void> {
  // `IN ()` is a syntax error: with nothing declared, every job is an orphan.
  if (declaredIds.length === 0) await pool.query(`UPDATE ${tables.jobs} SET orphaned = 1`);
  else await pool.query(`UPDATE ${tables.jobs} SET orphaned = IF(id IN (?), 0, 1)`, [declaredIds]);
}

export async function deleteJob(pool: Pool, tables: Tables, id: string): Promise<boolean> {
  const [header] = await pool.query<ResultSetHeader>(`DELETE FROM ${tables.jobs} WHERE id = ?`, [id]);
  return header.affectedRows > 0;
}

export async function setJobPaused(
  pool: Pool,
  tables: Tables,
  id: string,
  paused: boolean,
): Promise<boolean> {
  const [header] = await pool.query<ResultSetHeader>(
    `UPDATE ${tables.jobs} SET paused = ?, updated_at = ${STORE_NOW} WHERE id = ?`,
    [paused ? 1 : 0, id],
  );
  return matchedRows(header) === 1;
}

/** The compare-and-set of a tick: matches only while the stored `next_run_at` is the expected one. */
function casTick(tables: Tables): string {
  return `UPDATE ${tables.jobs} SET
      next_run_at = ?,
      active_runs = ?,
      last_run_at = ?,
      last_outcome = IFNULL(?, last_outcome),
      updated_at = ${STORE_NOW}
    WHERE id = ? AND next_run_at = ?`;
}

/**
 * `claimTick()`: the compare-and-set `UPDATE` and, only when it matched the
 * row, the tick's tasks through `write()`'s own statements
 * ({@link writeInTransaction}: fencing, idempotency keys taken or skipped),
 * on one connection in one transaction. Concurrent claimers of one tick
 * queue on the job's row lock; once the winner commits, the others' `UPDATE`
 * re-reads the row (an `UPDATE` always reads the latest committed version),
 * no longer matches, and they store nothing.
 *
 * Round trips: without tasks, the `UPDATE` alone (autocommit); with tasks,
 * `START TRANSACTION`, `UPDATE`, then `write()`'s statements (one upsert, or
 * three with idempotency keys), `COMMIT`. A deadlock victim runs again whole.
 */
export async function claimJobTick(
  pool: Pool,
  tables: Tables,
  claim: TickClaim,
  maxStatementBytes: number,
): Promise<boolean> {
  const values = [
    claim.nextRunAt,
    JSON.stringify(claim.activeRuns),
    claim.lastRunAt,
    claim.lastOutcome,
    claim.jobId,
    claim.expectedNextRunAt,
  ];
  if (claim.tasks.length === 0) {
    return retryWrite(async () => {
      const [header] = await pool.query<ResultSetHeader>(casTick(tables), values);
      return matchedRows(header) === 1;
    });
  }
  const batch = prepareWrite(claim.tasks);
  return retryWrite(() =>
    inTransaction(pool, async (connection) => {
      const [header] = await connection.query<ResultSetHeader>(casTick(tables), values);
      if (matchedRows(header) !== 1) return false;
      // Conflicts (a held idempotency key) are dropped: the tick still counts.
      await writeInTransaction(connection, tables, batch, maxStatementBytes);
      return true;
    }),
  );
}

/**
 * `recordOutcome()`: the list of active runs is JSON text, so it is read
 * under a row lock, filtered here and written back (no JSON functions:
 * MySQL and MariaDB differ in them).
 */
export function recordJobOutcome(
  pool: Pool,
  tables: Tables,
  jobId: string,
  taskId: string,
  outcome: JobRunOutcome,
): Promise<void> {
  return retryWrite(() =>
    inTransaction(pool, async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT active_runs FROM ${tables.jobs} WHERE id = ? FOR UPDATE`,
        [jobId],
      );
      if (rows.length === 0) return;
      const activeRuns = json<string[]>(rows[0]!.active_runs).filter((id) => id !== taskId);
      await connection.query(
        `UPDATE ${tables.jobs} SET active_runs = ?, last_outcome = ?, updated_at = ${STORE_NOW} WHERE id = ?`,
        [JSON.stringify(activeRuns), outcome, jobId],
      );
    }),
  );
}

/**
 * `due()`: walks the `due (paused, orphaned, next_run_at, id)` index from
 * its `(0, 0)` prefix in `(next_run_at, id)` order and stops after `limit`
 * rows; no sort.
 */
export async function dueJobs(pool: Pool, tables: Tables, now: number, limit: number): Promise<StoredJob[]> {
  const rows = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : Number.MAX_SAFE_INTEGER;
  const [found] = await pool.query<RowDataPacket[]>(
    `SELECT ${JOB_SELECT} FROM ${tables.jobs}
      WHERE paused = 0 AND orphaned = 0 AND next_run_at <= ?
      ORDER BY next_run_at, id
      LIMIT ?`,
    [now, rows],
  );
  return found.map(rowToJob);
}
