import { holdsKey, isFinished, type TaskRecord, type TaskStatus, type WriteResult } from '@errand/core';
import { fencedUpdate, mysqlDialect, text } from '@errand/sql';
import { type Db, type MysqlProcedure, refusal } from '../connection.js';
import { nullableText, TASK_SELECT, taskValues } from '../row.js';
import type { Tables } from '../tables.js';

/** The server's `max_allowed_packet`, and the share of it one statement may fill. */
export type WriteLimits = Record<'statementBytes' | 'packetBytes', number>;
type Row = { record: TaskRecord; index: number; sql: string };
type PreparedWrite = Record<'plain' | 'keyed', Row[]>;
type Holder = { id: string; owner: string | null; status: TaskStatus; locked: boolean };

// Assigned left to right: `owner` and `status`, which the fence and the sticky cancel request read, come
// last (core's field order). MariaDB has no row alias.
const { set, fence } = fencedUpdate(mysqlDialect, null);
const SET = set.map(([column, value]) => `${column} = IF(${fence}, ${value}, ${column})`);
const insert = (t: Tables, rows: Row[]) =>
  `INSERT INTO ${t.tasks} (${TASK_SELECT}) VALUES ${rows.map((row) => row.sql).join(',')}`;

// Literals: mysql2's formatting costs as much as a 10,000-row insert. Hex means the same in any sql_mode.
function literal(value: unknown): string {
  if (typeof value === 'string') {
    const plain = !value.includes("'") && !value.includes('\\') && !value.includes('\0');
    return plain ? `'${value}'` : `X'${Buffer.from(value).toString('hex')}'`;
  }
  if (value === null || Number.isFinite(value)) return `${value ?? 'NULL'}`;
  throw refusal(`cannot store the value ${String(value)}`, 1264, 'ER_WARN_DATA_OUT_OF_RANGE');
}

function prepareWrite(records: readonly TaskRecord[], limits: WriteLimits): PreparedWrite {
  const batch: PreparedWrite = { plain: [], keyed: [] };
  records.forEach((record, index) => {
    const values = taskValues(record);
    let sql = `(${literal(values[0])}`;
    for (let i = 1; i < values.length; i++) sql += `,${literal(values[i])}`;
    sql += ')';
    // Refused before anything is sent: the server would drop the connection.
    const bytes = sql.length > limits.statementBytes ? Buffer.byteLength(sql) + 8192 : 0;
    if (bytes > limits.packetBytes)
      throw refusal(`task ${record.id} is over max_allowed_packet`, 1153, 'ER_NET_PACKET_TOO_LARGE');
    const keyed = record.idempotencyKey !== null && holdsKey(record.status);
    batch[keyed ? 'keyed' : 'plain'].push({ record, index, sql });
  });
  return batch;
}

// Writers that lock rows in one order do not deadlock; ties in batch order apply two versions of an id in order.
function chunks(rows: Row[], key: (record: TaskRecord) => string, maxBytes: number): Row[][] {
  const order = (a: Row, b: Row) => {
    const [x, y] = [key(a.record), key(b.record)];
    return x < y ? -1 : x > y ? 1 : a.index - b.index;
  };
  const result: Row[][] = [];
  let bytes = Number.POSITIVE_INFINITY;
  for (const row of rows.slice().sort(order)) {
    if (bytes + row.sql.length > maxBytes || result.at(-1)!.length >= 5000) {
      result.push([]);
      bytes = 0;
    }
    result.at(-1)!.push(row);
    bytes += row.sql.length;
  }
  return result;
}

// A row not `checked` under lock is fenced when the upsert left a row as it was (Records + Duplicates >
// affectedRows) and the stored owner is not its own. A one-row INSERT has no such info, and affectedRows
// 1 may be an insert or an untouched row (CLIENT_FOUND_ROWS): a small row goes twice, the copy untouched.
function* upsert(t: Tables, rows: Row[], checked: Set<Row>, result: WriteResult): MysqlProcedure<void> {
  const unchecked = new Map<string, TaskRecord>();
  for (const { record } of rows.filter((row) => !checked.has(row))) unchecked.set(record.id, record);
  const twice = unchecked.size === 1 && rows.length === 1 && rows[0]!.sql.length < 64 << 10;
  const sql = `${insert(t, twice ? [rows[0]!, rows[0]!] : rows)} ON DUPLICATE KEY UPDATE ${SET.join(', ')}`;
  const { info, affectedRows } = yield { sql, values: [] };
  const [, records, duplicates] = /Records:\s*(\d+)\s+Duplicates:\s*(\d+)/.exec(info) ?? [];
  const left = Number(records) + Number(duplicates) - Number(twice);
  const untouched = records ? left > affectedRows : affectedRows <= 1;
  if (unchecked.size === 0 || !untouched) return;
  const select = `SELECT id, owner FROM ${t.tasks} WHERE id IN (?)`;
  for (const row of (yield { sql: select, values: [[...unchecked.keys()]] }).rows) {
    const record = unchecked.get(text(row.id))!;
    if (nullableText(row.owner) !== record.owner) result.fenced.push(record.id);
  }
}

/** `write()`: one fenced upsert autocommitted when it can (the common flush: one round trip), else a transaction. */
export function writeTasks(db: Db, t: Tables, records: readonly TaskRecord[], limits: WriteLimits) {
  const batch = prepareWrite(records, limits);
  const plain = chunks(batch.plain, (record) => record.id, limits.statementBytes);
  if (batch.keyed.length > 0 || plain.length > 1)
    return db.transaction((tx) => tx.separately(writeInTransaction(t, batch, limits)));
  const result: WriteResult = { conflicts: [], fenced: [] };
  if (plain.length === 0) return result;
  return db.separately(upsert(t, plain[0]!, new Set(), result)).then(() => result);
}

/** `write()` inside a transaction of the caller's (a scheduler tick's). */
export function* writeProcedure(t: Tables, records: readonly TaskRecord[], limits: WriteLimits) {
  return yield* writeInTransaction(t, prepareWrite(records, limits), limits);
}

// Keyed: an insert that takes free keys (the unique `active_key` settles races), a locking read of the
// holders, the fenced upsert of those whose key is theirs.
function* writeInTransaction(
  t: Tables,
  batch: PreparedWrite,
  limits: WriteLimits,
): MysqlProcedure<WriteResult> {
  const result: WriteResult = { conflicts: [], fenced: [] };
  const [accepted, checked, holders] = [batch.plain.slice(), new Set<Row>(), new Map<string, Holder>()];
  for (const rows of chunks(batch.keyed, (record) => record.idempotencyKey!, limits.statementBytes)) {
    yield { sql: `${insert(t, rows)} ON DUPLICATE KEY UPDATE id = id`, values: [] };
    const keys = [...new Set(rows.map((row) => row.record.idempotencyKey))];
    const sql = `SELECT id, owner, status, active_key FROM ${t.tasks} WHERE active_key IN (?) FOR UPDATE`;
    for (const row of (yield { sql, values: [keys] }).rows) {
      const holder = {
        id: text(row.id),
        owner: nullableText(row.owner),
        status: row.status as TaskStatus,
        locked: true,
      };
      holders.set(text(row.active_key), holder);
    }
  }
  for (const row of batch.keyed) {
    const { id, owner, status, idempotencyKey } = row.record;
    const holder = holders.get(idempotencyKey!);
    if (holder && holder.id !== id) result.conflicts.push({ id, existingId: holder.id });
    else if (holder?.locked && !passesFence(holder, row.record)) result.fenced.push(id);
    else {
      // A key nobody holds goes to the first record of the batch that wants it.
      if (!holder) holders.set(idempotencyKey!, { id, owner, status, locked: false });
      else if (holder.locked) {
        checked.add(row);
        Object.assign(holder, { owner, status });
      }
      accepted.push(row);
    }
  }
  for (const rows of chunks(accepted, (record) => record.id, limits.statementBytes))
    yield* upsert(t, rows, checked, result);
  return result;
}

function passesFence(stored: Holder, record: TaskRecord): boolean {
  const retry = isFinished(stored.status) && record.status === 'pending';
  return stored.owner === null || stored.owner === record.owner || retry;
}
