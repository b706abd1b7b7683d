import {
  type FieldSpec,
  TASK_FIELDS,
  type TaskRecord,
  type WriteHints,
  type WriteResult,
} from '@errand/core';
import {
  fencedUpdate,
  KEY_HOLDING_SQL,
  keyHoldingSql,
  type Procedure,
  postgresDialect,
  setList,
  splitByKind,
  TASK_COLUMNS,
  TRANSITION_FIELDS,
  takesKey,
  transitionUpdate,
} from '@errand/sql';
import { encodeRecords } from '../row.js';
import type { Tables } from '../tables.js';

const columns = TASK_COLUMNS.join(', ');
// How json_to_recordset reads each kind; JSON travels as text inside the batch (see PG_CODEC).
const TYPES: Record<string, string> = { int: 'int4', float: 'float8', time: 'int8', bool: 'bool' };
const isJson = (kind: string) => kind === 'json' || kind === 'tags';
/** The recordset of `fields` (the row type of json_to_recordset) and its select list (JSON cast back). */
function recordOf(fields: ReadonlyArray<FieldSpec>) {
  const all = fields.some((f) => f.column === 'id') ? fields : [TASK_FIELDS[0]!, ...fields];
  return {
    recordset: all.map((f) => `${f.column} ${TYPES[f.kind] ?? 'text'}`).join(', '),
    select: all.map((f) => (isJson(f.kind) ? `${f.column}::json AS ${f.column}` : f.column)).join(', '),
  };
}
const full = { ...recordOf(TASK_FIELDS), ...fencedUpdate(postgresDialect, 't') };
const move = { ...recordOf(TRANSITION_FIELDS), ...transitionUpdate(postgresDialect, 't', (c) => `m.${c}`) };

/**
 * One round of `write()`: one statement, prepared once per connection. `$1` holds the records written
 * in full (a fenced upsert), `$2` the transitions of records the writer stored before (a narrow
 * UPDATE of the columns a transition changes, which leaves the other columns and their indexes
 * alone). It returns a row per record not written: `holder` holds its key, or (null) the fenced
 * upsert's `RETURNING id` left it out, or the update did (`gone` when it found no row, to be
 * upserted in full by a later round). A key or id another transaction commits meanwhile fails the
 * upsert with 23505 (`ON CONFLICT (id)` misses the key index): it runs again, then sees the holder.
 * Key order makes key writers queue.
 */
export function writeStatement(t: Tables): string {
  return `WITH batch AS (SELECT ${full.select} FROM json_to_recordset($1::json) AS r(${full.recordset})),
holders AS (
  SELECT b.id, h.id AS holder FROM batch b JOIN ${t.tasks} h
  ON ${keyHoldingSql('h')} AND h.idempotency_key = b.idempotency_key AND h.id <> b.id
  WHERE b.status IN ${KEY_HOLDING_SQL}),
written AS (
  INSERT INTO ${t.tasks} AS t (${columns})
  SELECT ${columns} FROM batch WHERE id NOT IN (SELECT id FROM holders) ORDER BY idempotency_key, id
  ON CONFLICT (id) DO UPDATE SET ${setList(full.set)} WHERE ${full.fence}
  RETURNING t.id),
moves AS (SELECT ${move.select} FROM json_to_recordset($2::json) AS r(${move.recordset})),
moved AS (
  UPDATE ${t.tasks} AS t SET ${setList(move.set)}
  FROM moves m WHERE t.id = m.id AND ${move.fence}
  RETURNING t.id)
SELECT id, holder, false AS gone FROM holders
UNION ALL SELECT id, NULL, false FROM batch WHERE id NOT IN (SELECT id FROM holders UNION ALL SELECT id FROM written)
UNION ALL SELECT m.id, NULL, s.id IS NULL FROM moves m LEFT JOIN ${t.tasks} s ON s.id = m.id
  WHERE m.id NOT IN (SELECT id FROM moved)`;
}

/**
 * The values of each statement of a batch: one, unless a key is named twice. The last write of an
 * id wins, as written one by one. The holder lookup sees the table as before the statement, so a
 * record taking a key that another record of the batch carries waits for a round that sees it.
 * Transitions go in the first round (they take no key: see `splitByKind`).
 */
export function planRounds(records: readonly TaskRecord[], hints?: WriteHints): unknown[][] {
  const split = splitByKind(records, hints);
  let pending = split.full;
  const rounds: unknown[][] = [];
  let moves = split.transitions.length > 0 ? encodeRecords(split.transitions, TRANSITION_FIELDS) : '[]';
  while (pending.length > 0 || moves !== '[]') {
    const busy = new Set(pending.filter((r) => !takesKey(r)).map((r) => r.idempotencyKey));
    // Every record that takes no key goes now, and the first taker of each key no other carries.
    const round = new Set(
      pending.filter((r) => !takesKey(r) || (!busy.has(r.idempotencyKey) && busy.add(r.idempotencyKey))),
    );
    rounds.push([encodeRecords([...round]), moves]);
    moves = '[]';
    pending = pending.filter((record) => !round.has(record));
  }
  return rounds;
}

/**
 * The rounds of {@link planRounds}, one statement each, in order; then, when a transition found no
 * row (purged, or never stored after all), one more round upserts those records in full, as a write
 * without hints would have. Such a round follows a committed one when the batch was one round: a
 * failure of it fails the call although the rest is stored, and the manager's retry writes the same
 * transitions again, which they allow.
 */
export function* writeRounds(
  statement: string,
  rounds: unknown[][],
  records: readonly TaskRecord[],
): Procedure<WriteResult> {
  const result: WriteResult = { conflicts: [], fenced: [] };
  const gone = new Set<string>();
  for (const values of rounds) {
    for (const row of (yield { sql: statement, values, prepared: true }).rows) {
      const id = String(row.id);
      if (row.gone) gone.add(id);
      else if (row.holder === null) result.fenced.push(id);
      else result.conflicts.push({ id, existingId: String(row.holder) });
    }
  }
  if (gone.size === 0) return result;
  const again = yield* writeRounds(
    statement,
    planRounds(records.filter((record) => gone.has(record.id))),
    [],
  );
  result.fenced.push(...again.fenced);
  result.conflicts.push(...again.conflicts);
  return result;
}
