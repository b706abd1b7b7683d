import type { TaskRecord, TaskStatus } from './task-record.js';

/**
 * The rules of a takeover, in one place: which records a claim may take
 * from a gone owner, and what each becomes. Backends that claim in SQL or
 * Lua build their statements from the same constants.
 */

/** Statuses a claim may take over (an `interrupted` one only with `requeueOnInterrupt`). */
export const CLAIMABLE_STATUSES: readonly TaskStatus[] = Object.freeze(['pending', 'running', 'interrupted']);

/** Whether a claim may take this record from an owner that is gone. */
export function isClaimable(record: Pick<TaskRecord, 'status' | 'requeueOnInterrupt'>): boolean {
  return (
    record.status === 'pending' ||
    record.status === 'running' ||
    (record.status === 'interrupted' && record.requeueOnInterrupt)
  );
}

/** The error of a running task whose owner is gone: `instance <owner> stopped before the task finished`. */
export const LOST_OWNER_PREFIX = 'instance ';
export const LOST_OWNER_SUFFIX = ' stopped before the task finished';
/** Stands for a missing owner in that message. */
export const NO_OWNER = '(none)';

export function lostOwnerError(owner: string | null): string {
  return `${LOST_OWNER_PREFIX}${owner ?? NO_OWNER}${LOST_OWNER_SUFFIX}`;
}

/**
 * What a claimed record becomes, in place: owned by `instanceId`; a
 * `running` one whose work may not run twice becomes `interrupted` (its
 * owner is gone mid-attempt), every other one `pending`.
 */
export function applyClaim(record: TaskRecord, instanceId: string, now: number): TaskRecord {
  const lostOwner = record.owner;
  record.owner = instanceId;
  if (record.status === 'running' && !record.requeueOnInterrupt) {
    record.status = 'interrupted';
    record.finishedAt = now;
    record.error = lostOwnerError(lostOwner);
  } else {
    record.status = 'pending';
  }
  return record;
}
