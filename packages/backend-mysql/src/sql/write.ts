import { holdsKey, type TaskRecord, type WriteResult } from '@errand/core';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { inTransaction, isRetryable } from '../connection.js';
import { recordToValues, TASK_COLUMNS, text } from '../row.js';
import type { Tables } from '../tables.js';
import { rowLiteral } from './literal.js';

/** Rows per statement; the byte budget usually binds first. */
const MAX_ROWS_PER_STATEMENT = 5000;
/** Attempts of a whole write that InnoDB picked as a deadlock victim or that lost a key race. */
const MAX_ATTEMPTS = 4;

/**
 * The fencing test, against the stored row: the writer owns it, nobody does,
 * or it is finished and the writer moves it back to pending (a manual retry).
 */
const FENCE =
  "(owner IS NULL OR owner = VALUES(owner) OR (status IN ('success', 'failed', 'interrupted', 'cancelled', 'rejected') AND VALUES(status) = 'pending'))";

const COLUMN_LIST = TASK_COLUMNS.join(', ');

/**
 * Multi-row upsert by id with fencing. MySQL evaluates the assignments left
 * to right and later ones see earlier results, so `owner` and `status`, which
 * the fence reads, come last, in that order (TASK_COLUMNS ends with them):
 * while the fence held, the new `owner` still passes it when `status` is
 * assigned, and while it failed nothing changed. (The row alias syntax,
 * `AS new`, is MySQL-only; `VALUES(col)` works on both servers.)
 */
const UPSERT_TAIL = ` ON DUPLICATE KEY UPDATE ${TASK_COLUMNS.filter((column) => column !== 'id')
  .map((column) => `${column} = IF(${FENCE}, VALUES(${column}), ${column})`)
  .join(', ')}`;

function insert(tables: Tables, rows: Prepared[]): string {
  return `INSERT INTO ${tables.tasks} (${COLUMN_LIST}) VALUES ${rows.map((row) => row.sql).join(', ')}`;
}

export interface Prepared {
  record: TaskRecord;
  /** Position in the batch: two versions of one id are applied in this order. */
  index: number;
  /** The row's `(...)` literal, built once even when a write is retried. */
  sql: string;
}

function prepare(record: TaskRecord, index: number): Prepared {
  return { record, index, sql: rowLiteral(recordToValues(record)) };
}

/** Splits rows into statements under the row cap and the byte budget. */
function chunk(rows: Prepared[], maxBytes: number): Prepared[][] {
  const chunks: Prepared[][] = [];
  let current: Prepared[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (
      current.length > 0 &&
      (current.length >= MAX_ROWS_PER_STATEMENT || bytes + row.sql.length > maxBytes)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += row.sql.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

// Rows touched in one order by every writer cannot deadlock on each other.
// Ties keep batch order: two versions of one id apply oldest first, and of
// two new records with one key the first takes it.
const byId = (a: Prepared, b: Prepared) =>
  a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : a.index - b.index;
const byKey = (a: Prepared, b: Prepared) => {
  const x = a.record.idempotencyKey!;
  const y = b.record.idempotencyKey!;
  return x < y ? -1 : x > y ? 1 : a.index - b.index;
};

async function upsert(target: Pool | PoolConnection, tables: Tables, rows: Prepared[]): Promise<void> {
  await target.query(insert(tables, rows) + UPSERT_TAIL);
}

/**
 * Inserts the keyed records that are new and whose key is free; any
 * duplicate (their id, or another row holding the key) leaves the stored
 * row untouched (`id = id`). The unique index decides races between
 * instances: a concurrent inserter of the same key waits on our row lock and
 * then finds the duplicate.
 */
async function reserveKeys(connection: PoolConnection, tables: Tables, rows: Prepared[]): Promise<void> {
  await connection.query(`${insert(tables, rows)} ON DUPLICATE KEY UPDATE id = id`);
}

/** Key → id of the record that holds it now (locked until commit). */
async function keyHolders(
  connection: PoolConnection,
  tables: Tables,
  keys: string[],
): Promise<Map<string, string>> {
  const holders = new Map<string, string>();
  for (let i = 0; i < keys.length; i += MAX_ROWS_PER_STATEMENT) {
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT id, active_key FROM ${tables.tasks} WHERE active_key IN (?) FOR UPDATE`,
      [keys.slice(i, i + MAX_ROWS_PER_STATEMENT)],
    );
    for (const row of rows) holders.set(text(row.active_key), text(row.id));
  }
  return holders;
}

/** The rows of one `write()` batch, split by the path they take; built once, even when retried. */
export interface PreparedWrite {
  /** Records without a held key: the fenced upsert only. */
  plain: Prepared[];
  /** Records whose status holds their idempotency key: key reservation first. */
  keyed: Prepared[];
}

export function prepareWrite(records: readonly TaskRecord[]): PreparedWrite {
  const plain: Prepared[] = [];
  const keyed: Prepared[] = [];
  records.forEach((record, index) => {
    (record.idempotencyKey !== null && holdsKey(record.status) ? keyed : plain).push(prepare(record, index));
  });
  return { plain, keyed };
}

/**
 * Runs `attempt` (a whole transaction) again when InnoDB picked it as a
 * deadlock victim or it lost a key race, up to {@link MAX_ATTEMPTS} times.
 */
export async function retryWrite<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      // ER_DUP_ENTRY: under READ COMMITTED (no gap locks) another instance
      // took a key between our read and our upsert; the next attempt sees it.
      const duplicate = (error as { errno?: unknown }).errno === 1062;
      if (n >= MAX_ATTEMPTS || !(isRetryable(error) || duplicate)) throw error;
    }
  }
}

/**
 * `SnapshotBackend.write()`: one transaction, a constant number of round
 * trips per chunk of rows.
 *
 * - Records without a held key: one multi-row fenced upsert per chunk. When
 *   everything fits in one statement that statement runs on its own
 *   (autocommit), so the common flush is a single round trip.
 * - Records with a key in a key-holding status: (1) an insert that claims
 *   free keys and skips every duplicate, (2) one locking read of who holds
 *   each key, then (3) those whose key is theirs join the fenced upsert; the
 *   others are conflicts. A conflict is a row that is not written, never an
 *   error, so the rest of the batch commits.
 */
export async function writeRecords(
  pool: Pool,
  tables: Tables,
  records: readonly TaskRecord[],
  maxStatementBytes: number,
): Promise<WriteResult> {
  if (records.length === 0) return { conflicts: [] };
  const batch = prepareWrite(records);
  if (batch.keyed.length === 0) {
    const chunks = chunk(batch.plain.slice().sort(byId), maxStatementBytes);
    if (chunks.length === 1) {
      await upsert(pool, tables, chunks[0]!);
      return { conflicts: [] };
    }
  }
  return retryWrite(() =>
    inTransaction(pool, (connection) => writeInTransaction(connection, tables, batch, maxStatementBytes)),
  );
}

/**
 * The statements of `write()` on `connection`, inside a transaction the
 * caller opened and commits (`write()` itself, and `claimTick`, which stores
 * a tick's tasks with its compare-and-set). The caller retries the whole
 * transaction with {@link retryWrite}.
 */
export async function writeInTransaction(
  connection: PoolConnection,
  tables: Tables,
  { plain, keyed }: PreparedWrite,
  maxStatementBytes: number,
): Promise<WriteResult> {
  const conflicts: WriteResult['conflicts'] = [];
  const accepted = plain.slice();
  if (keyed.length > 0) {
    for (const rows of chunk(keyed.slice().sort(byKey), maxStatementBytes))
      await reserveKeys(connection, tables, rows);
    const keys = [...new Set(keyed.map((row) => row.record.idempotencyKey!))];
    const holders = await keyHolders(connection, tables, keys);
    // Batch order decides between two records of this batch that want a key
    // nobody holds (both already existed, so neither was inserted above).
    for (const row of keyed) {
      const key = row.record.idempotencyKey!;
      const holder = holders.get(key);
      if (holder === undefined) holders.set(key, row.record.id);
      if (holder === undefined || holder === row.record.id) accepted.push(row);
      else conflicts.push({ id: row.record.id, existingId: holder });
    }
  }
  for (const rows of chunk(accepted.sort(byId), maxStatementBytes)) await upsert(connection, tables, rows);
  return { conflicts };
}
