import { RETRYABLE_STATUSES, retriedRecord } from '../backend/store-control.js';
import { InvalidStateError } from '../errors/invalid-state-error.js';
import { TaskCancelledError } from '../errors/task-cancelled-error.js';
import { TaskNotFoundError } from '../errors/task-not-found-error.js';
import { cloneRecord, type TaskRecord } from '../model/task-record.js';
import type { Persistence } from '../persistence/persistence.js';
import type { AttemptRunner } from './attempt-runner.js';
import type { Dispatcher } from './dispatcher.js';
import type { Runtime } from './runtime.js';
import { newState, type TaskState } from './task-state.js';

/**
 * `manager.retry()`: runs a finished task again under the same id with
 * fresh attempts. `stored` is the record read from the backend when it is
 * not in memory. With `shared`, it is stored unowned for whichever live
 * instance defines it; otherwise it runs here. The retry is stored before
 * it is accepted, and refused when another task now holds its key.
 */
export async function retryTask(
  runtime: Runtime,
  parts: { persistence: Persistence; dispatcher: Dispatcher },
  id: string,
  stored: TaskRecord | null,
  shared: boolean,
  annotate?: (record: TaskRecord) => void,
): Promise<string> {
  const { cache, definitions, instanceId } = runtime;
  let state = cache.get(id);
  const record = state?.record ?? stored;
  if (!record) throw new TaskNotFoundError(`no task with id ${id}`);
  if (!RETRYABLE_STATUSES.includes(record.status)) {
    throw new InvalidStateError(
      `task ${id} is ${record.status}; only failed, interrupted, cancelled or rejected tasks can be retried`,
    );
  }
  const definition = definitions.get(record.name);
  if (!state) {
    state = newState(record);
    parts.persistence.adopted(state);
    cache.add(state);
  }
  const before = cloneRecord(state.record);
  const maxAttempts = definition ? definition.options.retries + 1 : record.maxAttempts;
  Object.assign(state.record, retriedRecord(before, shared ? null : instanceId, maxAttempts));
  if (definition) state.record.requeueOnInterrupt = definition.options.requeueOnInterrupt;
  annotate?.(state.record);
  state.lost = false;
  cache.setStatus(state, 'pending');
  if (runtime.options.backend) {
    const target = state;
    const restore = () => {
      cache.setStatus(target, before.status);
      Object.assign(target.record, before);
    };
    const outcome = await parts.persistence.require(target).catch((error: unknown) => {
      restore();
      throw error;
    });
    if (outcome.status !== 'stored') {
      restore();
      throw new InvalidStateError(
        outcome.status === 'conflict'
          ? `task ${id} cannot be retried: task ${outcome.existingId} now holds its idempotency key`
          : `task ${id} cannot be retried: another instance owns it now`,
      );
    }
  }
  if (shared) cache.delete(state);
  else parts.dispatcher.schedule(state);
  return id;
}

/** Ends a pending task of this instance as cancelled (asked here, or by another instance). */
export function cancelPending(
  runtime: Runtime,
  parts: { persistence: Persistence; dispatcher: Dispatcher },
  state: TaskState,
): void {
  const { record } = state;
  parts.dispatcher.remove(state);
  record.finishedAt = Date.now();
  record.error = 'cancelled';
  runtime.cache.setStatus(state, 'cancelled');
  runtime.emit('cancelled', record);
  parts.persistence.persist(state);
}

/**
 * `manager.cancel()` of a task this instance holds: a pending one is
 * cancelled at once; a running one has its signal aborted with
 * `TaskCancelledError` and ends `cancelled` when its function returns.
 * False when there was nothing to cancel.
 */
export function cancelTask(
  runtime: Runtime,
  parts: { persistence: Persistence; dispatcher: Dispatcher; runner: AttemptRunner },
  id: string,
): Promise<boolean> {
  const state = runtime.cache.get(id);
  if (!state || state.lost) return Promise.resolve(false);
  if (state.record.status === 'pending') {
    cancelPending(runtime, parts, state);
    return Promise.resolve(true);
  }
  if (state.record.status === 'running') {
    return Promise.resolve(
      parts.runner.interrupt(state, 'cancel', new TaskCancelledError(`task ${id} was cancelled`)),
    );
  }
  return Promise.resolve(false);
}
