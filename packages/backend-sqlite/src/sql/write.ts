import { holdsKey, type TaskRecord, type WriteResult } from '@errand/core';
import type Database from 'better-sqlite3';
import { TASK_COLUMNS, toParams } from '../row.js';

const HOLDING = "('pending', 'running', 'success', 'interrupted')";
const FINISHED = "('success', 'failed', 'interrupted', 'cancelled', 'rejected')";

/**
 * The group-commit write: every record of a batch in one `BEGIN IMMEDIATE`
 * transaction. SQLite serialises writers, so checking a key's holder and
 * writing inside that transaction is atomic across processes; the partial
 * unique index backs it up.
 */
export function prepareWrite(
  db: Database.Database,
  p: string,
): (records: readonly TaskRecord[]) => WriteResult {
  const columns = TASK_COLUMNS.join(', ');
  const updates = TASK_COLUMNS.filter((column) => column !== 'id')
    .map((column) => `${column} = excluded.${column}`)
    .join(', ');
  const upsert = db.prepare(
    `INSERT INTO ${p}tasks (${columns}) VALUES (${TASK_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (id) DO UPDATE SET ${updates}
     WHERE ${p}tasks.owner IS NULL OR ${p}tasks.owner = excluded.owner
        OR (${p}tasks.status IN ${FINISHED} AND excluded.status = 'pending')`,
  );
  const holder = db.prepare(
    `SELECT id FROM ${p}tasks
     WHERE idempotency_key = ? AND idempotency_key IS NOT NULL AND status IN ${HOLDING} AND id <> ?`,
  );
  holder.pluck();
  const run = db.transaction((records: readonly TaskRecord[]) => {
    const conflicts: WriteResult['conflicts'] = [];
    for (const record of records) {
      if (record.idempotencyKey !== null && holdsKey(record.status)) {
        const existingId = holder.get(record.idempotencyKey, record.id) as string | undefined;
        if (existingId !== undefined) {
          conflicts.push({ id: record.id, existingId });
          continue;
        }
      }
      upsert.run(toParams(record));
    }
    return { conflicts };
  });
  return (records) => run.immediate(records);
}
