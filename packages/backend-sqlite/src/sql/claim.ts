import type { ClaimRequest, TaskRecord } from '@errand/core';
import type Database from 'better-sqlite3';
import { fromRow, type TaskRow } from '../row.js';

/**
 * Takes over unfinished tasks of dead owners in one `BEGIN IMMEDIATE`
 * transaction: the select and the updates cannot interleave with another
 * process's claim, so no task is given to two instances.
 */
export function prepareClaim(
  db: Database.Database,
  p: string,
): (request: ClaimRequest, now: number) => TaskRecord[] {
  const candidates = (names: number) =>
    db.prepare(
      `SELECT t.* FROM ${p}tasks t
       WHERE t.status IN ('pending', 'running', 'interrupted')
         AND (t.status <> 'interrupted' OR t.requeue_on_interrupt = 1)
         AND t.name IN (${Array.from({ length: names }, () => '?').join(', ')})
         AND (t.owner IS NULL OR (t.owner <> ? AND NOT EXISTS (
           SELECT 1 FROM ${p}instances i WHERE i.id = t.owner AND i.expires_at > ?)))
       ORDER BY t.created_at, t.id
       LIMIT ?`,
    );
  const cache = new Map<number, Database.Statement>();
  const requeue = db.prepare(`UPDATE ${p}tasks SET owner = ?, status = 'pending' WHERE id = ?`);
  const interrupt = db.prepare(
    `UPDATE ${p}tasks SET owner = ?, status = 'interrupted', finished_at = ?, error = ? WHERE id = ?`,
  );
  const run = db.transaction((request: ClaimRequest, now: number) => {
    let select = cache.get(request.names.length);
    if (!select) {
      select = candidates(request.names.length);
      cache.set(request.names.length, select);
    }
    const rows = select.all(...request.names, request.instanceId, now, request.limit) as TaskRow[];
    return rows.map((row) => {
      const record = fromRow(row);
      const lostOwner = record.owner;
      record.owner = request.instanceId;
      if (record.status === 'running' && !record.requeueOnInterrupt) {
        record.status = 'interrupted';
        record.finishedAt = now;
        record.error = `instance ${lostOwner ?? '(none)'} stopped before the task finished`;
        interrupt.run(record.owner, now, record.error, record.id);
      } else {
        record.status = 'pending';
        requeue.run(record.owner, record.id);
      }
      return record;
    });
  });
  return (request, now) => (request.names.length === 0 ? [] : run.immediate(request, now));
}
