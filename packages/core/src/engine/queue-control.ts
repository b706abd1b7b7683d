import type { QueueOverridePatch } from '../backend/backend.js';
import { QueueFullError } from '../errors/queue-full-error.js';
import { integer } from '../options/checks.js';
import { label } from '../options/index.js';
import type { Engine } from './engine.js';
import type { QueueView } from './queues.js';
import type { TaskState } from './task-state.js';

/** Store counts of a shared queue's pending tasks are trusted this long. */
const SHARED_COUNT_MS = 250;

/**
 * Changes a queue at run time: stored when there is a store, so every
 * instance applies it within a heartbeat and it survives restarts (a
 * stored change wins over the code's declaration until `resetQueue()`).
 */
export async function changeQueue(
  engine: Engine,
  name: string,
  patch: QueueOverridePatch,
): Promise<QueueView> {
  label(name, 'queue name');
  if (patch.concurrency !== undefined && patch.concurrency !== null)
    integer(patch.concurrency, 'concurrency', 1, 1);
  const backend = engine.backend;
  if (backend) {
    const stored = await engine.call('setQueueOverride', () => backend.setQueueOverride(name, patch));
    engine.queues.apply(name, stored);
  } else {
    const current = engine.queues.view(name);
    const next = {
      name,
      paused: patch.paused === undefined ? (current.overridden ? current.paused : null) : patch.paused,
      concurrency: patch.concurrency === undefined ? null : patch.concurrency,
      globalConcurrency: null,
      updatedAt: Date.now(),
    };
    engine.queues.apply(name, next.paused === null && next.concurrency === null ? null : next);
  }
  engine.dispatcher.pump();
  return engine.queues.view(name);
}

/**
 * Refuses a task when its queue already holds `maxSize` pending tasks:
 * counted here for local work, in the store for shared work (a count read at
 * most every 250 ms, plus what this instance stored since). The refused
 * task is kept in history as `rejected`.
 */
export class QueueLimits {
  readonly #engine: Engine;
  readonly #shared = new Map<string, { count: number; at: number }>();

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /**
   * Throws `QueueFullError` when the task's queue is full. Synchronous for
   * local work (nothing else may run in between), a promise for shared work.
   */
  check(state: TaskState, shared: boolean): Promise<void> | undefined {
    const { record } = state;
    const { maxSize } = this.#engine.queues.view(record.queue);
    if (maxSize === null) return undefined;
    if (!shared) {
      if (this.#engine.cache.pendingIn(record.queue) >= maxSize) this.#refuse(state, maxSize);
      return undefined;
    }
    return this.#sharedCount(record.queue).then((waiting) => {
      if (waiting >= maxSize) this.#refuse(state, maxSize);
      this.#shared.get(record.queue)!.count++;
    });
  }

  #refuse(state: TaskState, maxSize: number): never {
    this.#reject(state);
    throw new QueueFullError(state.record.queue, maxSize, state.record.id);
  }

  async #sharedCount(queue: string): Promise<number> {
    const known = this.#shared.get(queue);
    if (known && Date.now() - known.at < SHARED_COUNT_MS) return known.count;
    const counts = await this.#engine.counts({ queue, status: 'pending' });
    this.#shared.set(queue, { count: counts.pending, at: Date.now() });
    return counts.pending;
  }

  /** Keeps the refused task in history as `rejected`, written at once. */
  #reject(state: TaskState): void {
    const { record } = state;
    const { cache, persistence, runtime } = this.#engine;
    record.finishedAt = Date.now();
    record.error = `queue "${record.queue}" was full`;
    if (!cache.get(record.id)) cache.add(state);
    cache.setStatus(state, 'rejected');
    runtime.emit('rejected', record);
    persistence.persist(state);
    persistence.evict();
  }
}
