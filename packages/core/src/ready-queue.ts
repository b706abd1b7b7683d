import type { TaskState } from './task-state.js';

/** A FIFO over an array with a moving head: O(1) push and shift, compacted now and then. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined as T;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

interface Entry {
  state: TaskState;
  seq: number;
}

/**
 * Tasks that may run now, in arrival order, kept per task name so that a
 * name at its own concurrency limit does not block the others behind it:
 * `next()` takes the oldest head among names that may start.
 *
 * Removal is lazy: a cancelled task stays queued until it reaches a head and
 * is dropped there, because its `location` is no longer `'ready'`.
 */
export class ReadyQueue {
  readonly #byName = new Map<string, Fifo<Entry>>();
  #seq = 0;
  #size = 0;

  /** Entries queued, including lazily removed ones. */
  get size(): number {
    return this.#size;
  }

  push(state: TaskState): void {
    state.location = 'ready';
    let fifo = this.#byName.get(state.record.name);
    if (!fifo) {
      fifo = new Fifo();
      this.#byName.set(state.record.name, fifo);
    }
    fifo.push({ state, seq: this.#seq++ });
    this.#size++;
  }

  /** Removes and returns the oldest task whose name `canStart` allows, or undefined. */
  next(canStart: (name: string) => boolean): TaskState | undefined {
    let best: Fifo<Entry> | undefined;
    let bestSeq = Number.POSITIVE_INFINITY;
    for (const [name, fifo] of this.#byName) {
      let head = fifo.peek();
      while (head && head.state.location !== 'ready') {
        fifo.shift();
        this.#size--;
        head = fifo.peek();
      }
      if (!head) {
        this.#byName.delete(name);
        continue;
      }
      if (head.seq < bestSeq && canStart(name)) {
        best = fifo;
        bestSeq = head.seq;
      }
    }
    if (!best) return undefined;
    this.#size--;
    const entry = best.shift()!;
    entry.state.location = 'none';
    return entry.state;
  }
}
