import { holdsKey, TASK_FIELDS, type TaskRecord, type WriteResult } from '@errand/core';
import {
  fencedUpdate,
  KEY_HOLDING_SQL,
  keyHoldingSql,
  type Procedure,
  postgresDialect,
  setList,
  TASK_COLUMNS,
} from '@errand/sql';
import { encodeRecords } from '../row.js';
import type { Tables } from '../tables.js';

const columns = TASK_COLUMNS.join(', ');
// How json_to_recordset reads each kind; JSON travels as text inside the batch (see PG_CODEC).
const TYPES: Record<string, string> = { int: 'int4', float: 'float8', time: 'int8', bool: 'bool' };
const recordset = TASK_FIELDS.map((f) => `${f.column} ${TYPES[f.kind] ?? 'text'}`).join(', ');
const isJson = (kind: string) => kind === 'json' || kind === 'tags';
const select = TASK_FIELDS.map((f) => (isJson(f.kind) ? `${f.column}::json AS ${f.column}` : f.column));
const { set, fence } = fencedUpdate(postgresDialect, 't');

/**
 * One round of `write()`: one statement, prepared once per connection. It returns a row per record
 * not written: `holder` holds its key, or (null) the fenced upsert's `RETURNING id` left it out. A
 * key or id another transaction commits meanwhile fails the upsert with 23505 (`ON CONFLICT (id)`
 * misses the key index): it runs again, then sees the holder. Key order makes key writers queue.
 */
export function writeStatement(t: Tables): string {
  return `WITH batch AS (SELECT ${select.join(', ')} FROM json_to_recordset($1::json) AS r(${recordset})),
holders AS (
  SELECT b.id, h.id AS holder FROM batch b JOIN ${t.tasks} h
  ON ${keyHoldingSql('h')} AND h.idempotency_key = b.idempotency_key AND h.id <> b.id
  WHERE b.status IN ${KEY_HOLDING_SQL}),
written AS (
  INSERT INTO ${t.tasks} AS t (${columns})
  SELECT ${columns} FROM batch WHERE id NOT IN (SELECT id FROM holders) ORDER BY idempotency_key, id
  ON CONFLICT (id) DO UPDATE SET ${setList(set)} WHERE ${fence}
  RETURNING t.id)
SELECT id, holder FROM holders
UNION ALL SELECT id, NULL FROM batch WHERE id NOT IN (SELECT id FROM holders UNION ALL SELECT id FROM written)`;
}

const takesKey = (record: TaskRecord) => Boolean(record.idempotencyKey) && holdsKey(record.status);

/**
 * The values of each statement of a batch: one, unless a key is named twice. The last write of an
 * id wins, as written one by one. The holder lookup sees the table as before the statement, so a
 * record taking a key that another record of the batch carries waits for a round that sees it.
 */
export function planRounds(records: readonly TaskRecord[]): unknown[][] {
  let pending = [...new Map(records.map((record) => [record.id, record])).values()];
  const rounds: unknown[][] = [];
  while (pending.length > 0) {
    const busy = new Set(pending.filter((r) => !takesKey(r)).map((r) => r.idempotencyKey));
    // Every record that takes no key goes now, and the first taker of each key no other carries.
    const round = new Set(
      pending.filter((r) => !takesKey(r) || (!busy.has(r.idempotencyKey) && busy.add(r.idempotencyKey))),
    );
    rounds.push([encodeRecords([...round])]);
    pending = pending.filter((record) => !round.has(record));
  }
  return rounds;
}

/** The rounds of {@link planRounds}, one statement each, in order. */
export function* writeRounds(statement: string, rounds: unknown[][]): Procedure<WriteResult> {
  const result: WriteResult = { conflicts: [], fenced: [] };
  for (const values of rounds) {
    for (const { id, holder } of (yield { sql: statement, values, prepared: true }).rows) {
      if (holder === null) result.fenced.push(String(id));
      else result.conflicts.push({ id: String(id), existingId: String(holder) });
    }
  }
  return result;
}
