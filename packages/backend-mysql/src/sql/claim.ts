import type { ClaimRequest, TaskRecord } from '@errand/core';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { inTransaction } from '../connection.js';
import { rowToRecord, TASK_SELECT } from '../row.js';
import type { Tables } from '../tables.js';
import { STORE_NOW } from './clock.js';

/**
 * Candidates, oldest first, skipping rows another claimer has locked.
 * `claimable = 1` walks the `claim (claimable, created_at, id)` index in
 * order, so the scan stops after `limit` matches. The heartbeat lookup is a
 * subquery, not a join: a locking read does not lock the rows its
 * subqueries read, so claims never block heartbeats.
 */
function selectCandidates(tables: Tables): string {
  return `SELECT ${TASK_SELECT}, ${STORE_NOW} AS store_now
    FROM ${tables.tasks} AS t
    WHERE t.claimable = 1
      AND t.name IN (?)
      AND (t.owner IS NULL OR (t.owner <> ? AND NOT EXISTS (
        SELECT 1 FROM ${tables.instances} AS i WHERE i.id = t.owner AND i.expires_at > ${STORE_NOW})))
    ORDER BY t.created_at, t.id
    LIMIT ?
    FOR UPDATE SKIP LOCKED`;
}

const LOST = "status = 'running' AND requeue_on_interrupt = 0";

/**
 * One statement for every taken row. Assignments run left to right (MySQL,
 * and MariaDB without SIMULTANEOUS_ASSIGNMENT), so the columns computed from
 * `status` and `owner` come before those two change; the order is also
 * right when they run simultaneously.
 */
function updateClaimed(tables: Tables): string {
  return `UPDATE ${tables.tasks} SET
      finished_at = IF(${LOST}, ?, finished_at),
      error = IF(${LOST}, CONCAT('instance ', IFNULL(CONVERT(owner USING utf8mb4), '(none)'),
        ' stopped before the task finished'), error),
      status = IF(${LOST}, 'interrupted', 'pending'),
      owner = ?
    WHERE id IN (?)`;
}

/** The record as {@link updateClaimed} leaves it. */
function taken(record: TaskRecord, instanceId: string, now: number): TaskRecord {
  const next = { ...record, owner: instanceId };
  if (record.status === 'running' && !record.requeueOnInterrupt) {
    next.status = 'interrupted';
    next.finishedAt = now;
    next.error = `instance ${record.owner ?? '(none)'} stopped before the task finished`;
  } else {
    next.status = 'pending';
  }
  return next;
}

/**
 * `SnapshotBackend.claim()`: `SELECT ... FOR UPDATE SKIP LOCKED` and one
 * `UPDATE`, in one READ COMMITTED transaction. Under REPEATABLE READ the scan
 * would keep next-key locks on every row and gap it passed (the live
 * instances' pending rows, the end of the index where new tasks go) until
 * commit, stalling their writes.
 */
export async function claimRecords(pool: Pool, tables: Tables, request: ClaimRequest): Promise<TaskRecord[]> {
  if (request.names.length === 0 || request.limit < 1) return [];
  return inTransaction(
    pool,
    async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>(selectCandidates(tables), [
        request.names,
        request.instanceId,
        request.limit,
      ]);
      if (rows.length === 0) return [];
      const now = Number(rows[0]!.store_now);
      await connection.query(updateClaimed(tables), [
        now,
        request.instanceId,
        rows.map((row) => String(row.id)),
      ]);
      return rows.map((row) => taken(rowToRecord(row), request.instanceId, now));
    },
    'READ COMMITTED',
  );
}
