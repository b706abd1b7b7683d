import { holdsKey, type TaskRecord, type WriteResult } from '@errand/core';
import { fencedUpdate, keyHoldingSql, setList, sqliteDialect, TASK_COLUMNS } from '@errand/sql';
import type Database from 'better-sqlite3';
import { taskValues } from '../row.js';

/** Stores a batch by the rules of `SnapshotBackend.write()`, all of it or none. */
export type WriteBatch = (records: readonly TaskRecord[]) => WriteResult;

// One BEGIN IMMEDIATE transaction a batch (a savepoint inside a claimed tick's): SQLite serialises
// writers, so a key's holder cannot change between the check and the upsert. A fenced upsert
// changes no row, which .run().changes reports. A cancel request another instance stored survives
// the owner's update (every SET reads the row as it was).
export function prepareWrite(db: Database.Database, prefix: string): WriteBatch {
  const table = `${prefix}tasks`;
  const { set, fence } = fencedUpdate(sqliteDialect, table);
  const upsert = db.prepare(
    `INSERT INTO ${table} (${TASK_COLUMNS.join(', ')}) VALUES (${TASK_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (id) DO UPDATE SET ${setList(set)} WHERE ${fence}`,
  );
  const holder = db
    .prepare(`SELECT id FROM ${table} WHERE idempotency_key = ? AND ${keyHoldingSql()} AND id <> ?`)
    .pluck();
  const batch = db.transaction((records: readonly TaskRecord[]): WriteResult => {
    const result: WriteResult = { conflicts: [], fenced: [] };
    for (const record of records) {
      if (record.idempotencyKey !== null && holdsKey(record.status)) {
        const existingId = holder.get(record.idempotencyKey, record.id) as string | undefined;
        if (existingId !== undefined) {
          result.conflicts.push({ id: record.id, existingId });
          continue;
        }
      }
      if (upsert.run(taskValues(record)).changes === 0) result.fenced.push(record.id);
    }
    return result;
  });
  return (records) => (records.length > 0 ? batch.immediate(records) : { conflicts: [], fenced: [] });
}
