import type { TaskState } from '../engine/task-state.js';
import { emptyCounts } from '../model/query-filter.js';
import type { StatusCounts } from '../model/task-query.js';
import {
  holdsKey,
  isFinished,
  shareEmpties,
  type TaskRecord,
  type TaskStatus,
} from '../model/task-record.js';

/**
 * The manager's memory: every unfinished task, and at most `maxRecords`
 * finished ones. Finished records are evicted oldest first, and only once
 * `canEvict` says they reached the backend, so memory stays bounded without
 * losing history.
 */
export class RecordCache {
  readonly #states = new Map<string, TaskState>();
  /** Idempotency key → the task holding it, for tasks in memory. */
  readonly #keys = new Map<string, TaskState>();
  /**
   * Finished tasks in the order they finished (may hold stale entries). Slots before the head are
   * emptied as it passes them, so an evicted task is garbage at once, not when the array is cut.
   */
  #finished: (TaskState | undefined)[] = [];
  #finishedHead = 0;
  #finishedCount = 0;
  readonly #counts: StatusCounts = emptyCounts();
  /** Pending tasks per queue (a queue's `maxSize` counts them). */
  readonly #pendingByQueue = new Map<string, number>();
  readonly #maxRecords: number;

  constructor(maxRecords: number) {
    this.#maxRecords = maxRecords;
  }

  get size(): number {
    return this.#states.size;
  }

  get counts(): Readonly<StatusCounts> {
    return this.#counts;
  }

  get(id: string): TaskState | undefined {
    return this.#states.get(id);
  }

  values(): IterableIterator<TaskState> {
    return this.#states.values();
  }

  *records(): IterableIterator<TaskRecord> {
    for (const state of this.#states.values()) yield state.record;
  }

  /** Pending tasks of `queue` held here. */
  pendingIn(queue: string): number {
    return this.#pendingByQueue.get(queue) ?? 0;
  }

  #countPending(record: TaskRecord, delta: number): void {
    if (record.status !== 'pending') return;
    const count = (this.#pendingByQueue.get(record.queue) ?? 0) + delta;
    if (count === 0) this.#pendingByQueue.delete(record.queue);
    else this.#pendingByQueue.set(record.queue, count);
  }

  /** The task in memory that holds `key`, if any. */
  keyHolder(key: string): TaskState | undefined {
    const state = this.#keys.get(key);
    return state && holdsKey(state.record.status) ? state : undefined;
  }

  add(state: TaskState): void {
    const { record } = state;
    this.#states.set(record.id, state);
    this.#counts[record.status]++;
    this.#countPending(record, 1);
    if (record.idempotencyKey && holdsKey(record.status)) this.#keys.set(record.idempotencyKey, state);
    if (isFinished(record.status)) this.#pushFinished(state);
  }

  delete(state: TaskState): void {
    const { record } = state;
    if (this.#states.get(record.id) !== state) return;
    this.#states.delete(record.id);
    this.#counts[record.status]--;
    this.#countPending(record, -1);
    if (record.idempotencyKey && this.#keys.get(record.idempotencyKey) === state) {
      this.#keys.delete(record.idempotencyKey);
    }
    if (isFinished(record.status)) this.#finishedCount--;
  }

  /** Moves a task to another status, keeping counts, keys and the eviction order right. */
  setStatus(state: TaskState, status: TaskStatus): void {
    const { record } = state;
    const before = record.status;
    if (before === status) return;
    this.#counts[before]--;
    this.#counts[status]++;
    this.#countPending(record, -1);
    record.status = status;
    this.#countPending(record, 1);
    const key = record.idempotencyKey;
    if (key) {
      if (holdsKey(status)) this.#keys.set(key, state);
      else if (this.#keys.get(key) === state) this.#keys.delete(key);
    }
    const wasFinished = isFinished(before);
    const nowFinished = isFinished(status);
    if (!wasFinished && nowFinished) this.#pushFinished(state);
    else if (wasFinished && !nowFinished) this.#finishedCount--;
  }

  /** Evicts the oldest finished records beyond `maxRecords` that `canEvict` allows. */
  evict(canEvict: (state: TaskState) => boolean): void {
    while (this.#finishedCount > this.#maxRecords && this.#finishedHead < this.#finished.length) {
      const state = this.#finished[this.#finishedHead]!;
      const current = this.#states.get(state.record.id) === state && isFinished(state.record.status);
      if (current && !canEvict(state)) break;
      this.#finished[this.#finishedHead++] = undefined;
      if (current) this.delete(state);
    }
    if (this.#finishedHead > 1024 && this.#finishedHead * 2 > this.#finished.length) {
      this.#finished = this.#finished.slice(this.#finishedHead);
      this.#finishedHead = 0;
    }
  }

  #pushFinished(state: TaskState): void {
    shareEmpties(state.record);
    this.#finished.push(state);
    this.#finishedCount++;
  }
}
