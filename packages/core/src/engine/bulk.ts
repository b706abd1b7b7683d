import { QueueFullError } from '../errors/queue-full-error.js';
import type { TaskRecord } from '../model/task-record.js';
import type { EnqueueOptions } from '../options/index.js';
import type { Engine } from './engine.js';
import { buildRecord } from './new-record.js';
import { newState, type TaskState } from './task-state.js';
import type { Submission } from './types.js';

/** One item of `enqueueMany()`: the arguments, and the enqueue options of that one task. */
export type BulkItem<A extends unknown[] = unknown[]> = readonly [args: A, options?: EnqueueOptions];

/**
 * `enqueueMany()`: every item is built and checked first (nothing is
 * accepted if one is invalid, or if they do not all fit their queue's
 * `maxSize`), then all are stored in one write when they must be stored,
 * and each keeps its own idempotency key. Resolves in item order.
 */
export async function submitMany(
  engine: Engine,
  name: string,
  items: readonly BulkItem[],
): Promise<Submission[]> {
  if (!Array.isArray(items)) throw new TypeError('enqueueMany takes an array of [args, options?] pairs');
  if (engine.options.testing === 'inline') {
    const results: Submission[] = [];
    for (const [args, options] of items)
      results.push(await engine.submit(name, args as unknown[], options ?? {}));
    return results;
  }
  engine.assertRunning();
  const records = items.map(([args, options]) =>
    buildRecord(engine.runtime, name, args as unknown[], options ?? {}),
  );
  const shared = engine.sharedFor(name);
  const results = new Array<Submission>(records.length);
  const fresh: TaskState[] = [];
  const firstOfKey = new Map<string, number>();
  records.forEach((record, index) => {
    if (shared) record.owner = null;
    const key = record.idempotencyKey;
    const holder = key ? engine.cache.keyHolder(key) : undefined;
    if (holder) results[index] = { id: holder.record.id, deduplicated: true };
    else if (key && firstOfKey.has(key))
      results[index] = { id: records[firstOfKey.get(key)!]!.id, deduplicated: true };
    else {
      if (key) firstOfKey.set(key, index);
      fresh.push(newState(record));
    }
  });
  await checkRoom(engine, fresh, shared);
  for (const state of fresh) engine.cache.add(state);
  const stored = shared || fresh.some((state) => engine.persistence.storesFirst(state));
  const outcomes = stored && fresh.length > 0 ? await storeAll(engine, fresh) : null;
  const byId = new Map<string, Submission>();
  fresh.forEach((state, i) => {
    const outcome = outcomes?.[i];
    if (outcome?.status === 'conflict') {
      engine.cache.delete(state);
      byId.set(state.record.id, { id: outcome.existingId, deduplicated: true });
      return;
    }
    byId.set(state.record.id, { id: state.record.id, deduplicated: false });
    accepted(engine, state, shared);
  });
  records.forEach((record, index) => {
    results[index] ??= byId.get(record.id)!;
  });
  return results;
}

/** All or none: the new tasks of each queue must fit its `maxSize` together. */
async function checkRoom(engine: Engine, fresh: readonly TaskState[], shared: boolean): Promise<void> {
  const perQueue = new Map<string, number>();
  for (const state of fresh) perQueue.set(state.record.queue, (perQueue.get(state.record.queue) ?? 0) + 1);
  for (const [queue, count] of perQueue) {
    const { maxSize } = engine.queues.view(queue);
    if (maxSize === null) continue;
    const waiting = shared
      ? (await engine.counts({ queue, status: 'pending' })).pending
      : engine.cache.pendingIn(queue);
    if (waiting + count > maxSize) throw new QueueFullError(queue, maxSize, fresh[0]!.record.id);
  }
}

/** One write for every new task; on failure, none of them is kept. */
async function storeAll(engine: Engine, fresh: readonly TaskState[]) {
  try {
    return await engine.persistence.requireMany(fresh);
  } catch (error) {
    for (const state of fresh) engine.cache.delete(state);
    throw error;
  }
}

function accepted(engine: Engine, state: TaskState, shared: boolean): void {
  const record: TaskRecord = state.record;
  engine.runtime.emit('enqueued', record);
  if (shared) {
    engine.cache.delete(state);
    engine.fleet?.stored(record.runAt);
  } else {
    engine.dispatcher.schedule(state);
  }
}
