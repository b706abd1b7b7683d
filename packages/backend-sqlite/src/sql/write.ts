import {
  encodeFields,
  holdsKey,
  type TaskRecord,
  TEXT_JSON_CODEC,
  type WriteHints,
  type WriteResult,
} from '@errand/core';
import {
  fencedUpdate,
  isTransition,
  keyHoldingSql,
  setList,
  sqliteDialect,
  TASK_COLUMNS,
  TRANSITION_FIELDS,
  transitionUpdate,
} from '@errand/sql';
import type Database from 'better-sqlite3';
import { taskValues } from '../row.js';

/** Stores a batch by the rules of `SnapshotBackend.write()`, all of it or none. */
export type WriteBatch = (records: readonly TaskRecord[], hints?: WriteHints) => WriteResult;

/** A transition's values by name (`@status`...): the fence and the sticky cancel request read some twice. */
function transitionValues(record: TaskRecord): Record<string, unknown> {
  const values = encodeFields(TRANSITION_FIELDS, record, TEXT_JSON_CODEC);
  const named: Record<string, unknown> = { id: record.id };
  for (let i = 0; i < values.length; i++) named[TRANSITION_FIELDS[i]!.column] = values[i];
  return named;
}

// One BEGIN IMMEDIATE transaction a batch (a savepoint inside a claimed tick's): SQLite serialises
// writers, so a key's holder cannot change between the check and the write. A record its writer
// stored before (a transition) is one narrow UPDATE, which leaves the indexes of the columns a
// transition never changes alone; one it leaves as it was (fenced, or the row is gone) goes on to
// the upsert, which settles it as before (a fenced one changes no row: .run().changes says so).
// A cancel request another instance stored survives the owner's update (every SET reads the row as
// it was). The statements are prepared once per connection.
export function prepareWrite(db: Database.Database, prefix: string): WriteBatch {
  const table = `${prefix}tasks`;
  const full = fencedUpdate(sqliteDialect, table);
  const upsert = db.prepare(
    `INSERT INTO ${table} (${TASK_COLUMNS.join(', ')}) VALUES (${TASK_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (id) DO UPDATE SET ${setList(full.set)} WHERE ${full.fence}`,
  );
  const narrow = transitionUpdate(sqliteDialect, table, (column) => `@${column}`);
  const update = db.prepare(`UPDATE ${table} SET ${setList(narrow.set)} WHERE id = @id AND ${narrow.fence}`);
  const holder = db
    .prepare(`SELECT id FROM ${table} WHERE idempotency_key = ? AND ${keyHoldingSql()} AND id <> ?`)
    .pluck();
  const batch = db.transaction((records: readonly TaskRecord[], hints?: WriteHints): WriteResult => {
    const result: WriteResult = { conflicts: [], fenced: [] };
    records.forEach((record, index) => {
      if (record.idempotencyKey !== null && holdsKey(record.status)) {
        const existingId = holder.get(record.idempotencyKey, record.id) as string | undefined;
        if (existingId !== undefined) {
          result.conflicts.push({ id: record.id, existingId });
          return;
        }
      }
      if (isTransition(hints, index) && update.run(transitionValues(record)).changes === 1) return;
      if (upsert.run(taskValues(record)).changes === 0) result.fenced.push(record.id);
    });
    return result;
  });
  return (records, hints) =>
    records.length > 0 ? batch.immediate(records, hints) : { conflicts: [], fenced: [] };
}
