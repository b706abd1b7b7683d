import { BackendError } from '../errors/backend-error.js';
import type { Persistence } from '../persistence/persistence.js';
import type { Dispatcher } from './dispatcher.js';
import type { Runtime } from './runtime.js';
import type { TaskState } from './task-state.js';

/**
 * Stores a new task before accepting it (durable mode, shared work, or to
 * reserve its idempotency key across instances) and resolves to its id, or to the id of
 * the task that already holds its key. A task that may start at once is
 * stored as running: its acceptance and its start are one write. When the
 * store fails, the task is forgotten and the caller gets the `BackendError`.
 */
export async function acceptStored(
  runtime: Runtime,
  persistence: Persistence,
  dispatcher: Dispatcher,
  state: TaskState,
  shared: ((record: TaskState['record']) => void) | null = null,
): Promise<string> {
  const { record } = state;
  // Unowned work is left to the fleet's claims, this instance's included.
  let reserved = shared === null && dispatcher.reserve(state);
  // No slot now: one may be free when the write is taken (a task that just ended released it), and
  // a start reserved then is stored by the same commit instead of a write of its own (unless the
  // task was cancelled meanwhile).
  const late =
    shared === null && !reserved
      ? () => {
          if (record.status === 'pending' && !state.lost) reserved = dispatcher.reserve(state);
        }
      : undefined;
  const discard = () => {
    if (reserved) dispatcher.unreserve(state, null);
    runtime.cache.delete(state);
  };
  let outcome: Awaited<ReturnType<Persistence['require']>>;
  try {
    outcome = await persistence.require(state, late);
  } catch (error) {
    discard();
    throw error;
  } finally {
    // Settled, the promise would stay with a retained task: its id answers later duplicates.
    state.accepted = null;
  }
  if (outcome.status !== 'stored') {
    discard();
    if (outcome.status === 'conflict') return outcome.existingId;
    throw new BackendError(
      runtime.options.backend!.name,
      'enqueue',
      new Error('the store refused the new task as owned by another instance'),
    );
  }
  runtime.emit('enqueued', record);
  if (shared) {
    runtime.cache.delete(state);
    shared(record);
  } else if (!reserved) dispatcher.schedule(state);
  else if (!dispatcher.launchReserved(state)) dispatcher.unreserve(state, Date.now());
  return record.id;
}
