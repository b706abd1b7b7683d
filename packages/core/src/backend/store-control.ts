import { InvalidStateError } from '../errors/invalid-state-error.js';
import { TaskNotFoundError } from '../errors/task-not-found-error.js';
import { newTaskId } from '../model/task-id.js';
import type { TaskRecord, TaskStatus } from '../model/task-record.js';
import type { CancelOutcome, SnapshotBackend } from './backend.js';

/** Statuses a task can be retried from. */
export const RETRYABLE_STATUSES: readonly TaskStatus[] = Object.freeze([
  'failed',
  'interrupted',
  'cancelled',
  'rejected',
]);

/**
 * The record of a manual retry: same id, fresh attempts, a note in its
 * logs. `owner` null leaves it to whichever live instance defines the task.
 */
export function retriedRecord(
  record: TaskRecord,
  owner: string | null,
  maxAttempts: number,
  now = Date.now(),
): TaskRecord {
  return {
    ...record,
    status: 'pending',
    attempt: 0,
    maxAttempts,
    startedAt: null,
    finishedAt: null,
    duration: null,
    runAt: now,
    expiresAt: null,
    error: null,
    stack: null,
    result: null,
    progress: null,
    owner,
    cancelRequested: false,
    logs: [...record.logs, { at: now, message: `retried manually after ${record.status}` }],
  };
}

/**
 * Runs a finished task again from outside any manager (a CLI, an admin
 * tool): it is stored pending and unowned under the same id, and a live
 * instance that defines it claims and runs it. Rejects with
 * `TaskNotFoundError`, or `InvalidStateError` when the task is not finished
 * or another task now holds its idempotency key.
 */
export async function retryInStore(backend: SnapshotBackend, id: string): Promise<TaskRecord> {
  const record = await backend.get(id);
  if (!record) throw new TaskNotFoundError(`no task with id ${id}`);
  if (!RETRYABLE_STATUSES.includes(record.status)) {
    throw new InvalidStateError(
      `task ${id} is ${record.status}; only finished tasks that did not succeed can be retried`,
    );
  }
  const retried = retriedRecord(record, null, record.maxAttempts);
  const { conflicts, fenced } = await backend.write([retried]);
  if (conflicts.length > 0) {
    throw new InvalidStateError(
      `task ${id} cannot be retried: task ${conflicts[0]!.existingId} now holds its key`,
    );
  }
  if (fenced.length > 0) throw new InvalidStateError(`task ${id} changed meanwhile; read it again`);
  await backend.notify?.().catch(() => {});
  return retried;
}

/**
 * Cancels a task from outside any manager: a pending task nobody runs is
 * cancelled in the store; one that a live instance holds has its
 * cancellation requested, and that instance aborts it within its
 * heartbeat interval. See `SnapshotBackend.cancel`.
 */
export function cancelInStore(backend: SnapshotBackend, id: string): Promise<CancelOutcome> {
  return backend.cancel(id);
}

/**
 * Stores a new pending, unowned task for a live instance that defines
 * `name` to claim and run (`errand jobs run`, an admin tool). The claiming
 * instance applies its own definition's retries.
 */
export async function enqueueInStore(
  backend: SnapshotBackend,
  name: string,
  args: unknown[],
  options: { tags?: Record<string, string>; idempotencyKey?: string } = {},
): Promise<TaskRecord> {
  const now = Date.now();
  const record: TaskRecord = {
    id: newTaskId(now),
    name,
    queue: 'default',
    priority: 0,
    tags: options.tags ?? {},
    args,
    status: 'pending',
    attempt: 0,
    maxAttempts: 1,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    duration: null,
    runAt: now,
    expiresAt: null,
    error: null,
    stack: null,
    logs: [],
    progress: null,
    result: null,
    idempotencyKey: options.idempotencyKey ?? null,
    owner: null,
    requeueOnInterrupt: false,
    cancelRequested: false,
    headers: {},
  };
  const { conflicts } = await backend.write([record]);
  if (conflicts.length > 0) {
    const held = await backend.get(conflicts[0]!.existingId);
    if (held) return held;
  }
  await backend.notify?.().catch(() => {});
  return record;
}

/** Runs a stored scheduler job now, from outside any manager: its task, with its arguments, for the fleet. */
export async function runJobNow(backend: SnapshotBackend, jobId: string): Promise<TaskRecord> {
  const job = await backend.schedules?.get(jobId);
  if (!job) throw new TaskNotFoundError(`no job with id ${jobId}`);
  const args = Array.isArray(job.options.args) ? (job.options.args as unknown[]) : [];
  return enqueueInStore(backend, job.taskName, args, { tags: { job: jobId, trigger: 'manual' } });
}
