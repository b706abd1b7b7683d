import type { TaskState } from './task-state.js';

/**
 * Tasks waiting for their `runAt` (delays and retry backoff): a binary
 * min-heap with one timer for the earliest, instead of one timer per task.
 * Removal is lazy, as in the ready queue.
 */
export class DelayQueue {
  readonly #heap: Array<{ at: number; state: TaskState }> = [];
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
    state.location = 'delayed';
    const heap = this.#heap;
    heap.push({ at: state.record.runAt, state });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
    this.#arm();
  }

  /** Stops the timer; queued tasks stay as they are. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #pop(): { at: number; state: TaskState } | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
        if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }

  #arm(): void {
    if (this.#stopped) return;
    const top = this.#heap[0];
    if (!top) return;
    if (this.#timer && this.#timerAt <= top.at) return;
    if (this.#timer) clearTimeout(this.#timer);
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
      const { at, state } = this.#pop()!;
      if (state.location === 'delayed' && state.record.runAt === at) {
        state.location = 'none';
        this.#onDue(state);
      }
    }
    this.#arm();
  }
}
