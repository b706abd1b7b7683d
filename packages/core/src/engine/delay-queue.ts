import type { TaskState } from './task-state.js';

interface Entry {
  at: number;
  state: TaskState;
}

/**
 * Tasks waiting for their `runAt` (delays and retry backoff): a binary
 * min-heap with one timer for the earliest, instead of one timer per task.
 *
 * Each entry knows its place in the heap (`state.heapIndex`), so a task
 * that leaves early (cancelled, taken by another instance) is removed at
 * once: it no longer counts in `size`, and the timer, which keeps the
 * process alive, is re-armed for the next task or cleared.
 */
export class DelayQueue {
  readonly #heap: Entry[] = [];
  readonly #onDue: (state: TaskState) => void;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(onDue: (state: TaskState) => void) {
    this.#onDue = onDue;
  }

  get size(): number {
    return this.#heap.length;
  }

  push(state: TaskState): void {
    if (state.heapIndex >= 0) this.remove(state);
    state.location = 'delayed';
    const heap = this.#heap;
    heap.push({ at: state.record.runAt, state });
    state.heapIndex = heap.length - 1;
    this.#up(heap.length - 1);
    this.#arm();
  }

  /** Takes a waiting task out (no-op when it is not waiting here). */
  remove(state: TaskState): void {
    const index = state.heapIndex;
    if (index < 0 || this.#heap[index]?.state !== state) return;
    this.#take(index);
    if (state.location === 'delayed') state.location = 'none';
    if (index === 0) this.#rearm();
  }

  #take(index: number): TaskState {
    const heap = this.#heap;
    const { state } = heap[index]!;
    state.heapIndex = -1;
    const last = heap.pop()!;
    if (index < heap.length) {
      this.#place(last, index);
      this.#down(index);
      this.#up(last.state.heapIndex);
    }
    return state;
  }

  /** Every waiting task (for stop() and lease checks), in no particular order. */
  states(): TaskState[] {
    return this.#heap.map((entry) => entry.state);
  }

  /** Stops the timer; queued tasks stay as they are. */
  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  #place(entry: Entry, index: number): void {
    this.#heap[index] = entry;
    entry.state.heapIndex = index;
  }

  #up(index: number): void {
    const heap = this.#heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.at <= heap[index]!.at) break;
      const child = heap[index]!;
      this.#place(heap[parent]!, index);
      this.#place(child, parent);
      index = parent;
    }
  }

  #down(index: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
      if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
      if (smallest === index) return;
      const entry = heap[index]!;
      this.#place(heap[smallest]!, index);
      this.#place(entry, smallest);
      index = smallest;
    }
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #rearm(): void {
    this.#clear();
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    const top = this.#heap[0];
    if (!top) {
      this.#clear();
      return;
    }
    if (this.#timer && this.#timerAt <= top.at) return;
    this.#clear();
    this.#timerAt = top.at;
    // setTimeout caps at ~24.8 days; a later task is simply re-armed then.
    const wait = Math.min(Math.max(0, top.at - Date.now()), 2_147_483_647);
    // Not unref'd: a task waiting to run is work, and keeps the process alive.
    this.#timer = setTimeout(() => this.#fire(), wait);
  }

  #fire(): void {
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    while (this.#heap.length > 0 && this.#heap[0]!.at <= now) {
      const state = this.#take(0);
      state.location = 'none';
      this.#onDue(state);
    }
    this.#arm();
  }
}
