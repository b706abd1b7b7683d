import type { TaskState } from './task-state.js';

interface Entry {
  state: TaskState;
  /** Higher first: the priority, plus one for every `aging` ms the task has waited since it was due. */
  score: number;
  seq: number;
}

/** A binary max-heap of entries by score, then arrival. */
class Heap {
  readonly items: Entry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Entry | undefined {
    return this.items[0];
  }

  push(entry: Entry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): Entry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let best = i;
        if (left < items.length && before(items[left]!, items[best]!)) best = left;
        if (right < items.length && before(items[right]!, items[best]!)) best = right;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.score > b.score || (a.score === b.score && a.seq < b.seq);
}

/**
 * Tasks that may run now, kept per task name so that a name at its own
 * limit does not block the others behind it: `next()` takes the best head
 * among names that may start.
 *
 * Order: higher priority first, first come first served among equals, and a
 * starvation guard: a task's effective priority rises by one for every
 * `aging` ms it has waited since it was due. Both rise at the same rate, so
 * the order of two waiting tasks never changes while they wait, and a fixed
 * score per task gives it (`priority - dueAt / aging`).
 *
 * Removal is lazy: a cancelled task stays queued until it reaches a head
 * and is dropped there, because its `location` is no longer `'ready'`.
 */
export class ReadyQueue {
  readonly #byName = new Map<string, Heap>();
  readonly #aging: number;
  #seq = 0;
  #size = 0;

  constructor(aging: number) {
    this.#aging = aging;
  }

  /** Entries queued, including lazily removed ones. */
  get size(): number {
    return this.#size;
  }

  push(state: TaskState): void {
    state.location = 'ready';
    const { record } = state;
    let heap = this.#byName.get(record.name);
    if (!heap) {
      heap = new Heap();
      this.#byName.set(record.name, heap);
    }
    const dueAt = Math.max(record.createdAt, record.runAt);
    heap.push({ state, score: record.priority - dueAt / this.#aging, seq: this.#seq++ });
    this.#size++;
  }

  /** Removes and returns the best task whose name `canStart` allows, or undefined. */
  next(canStart: (name: string) => boolean): TaskState | undefined {
    let best: Heap | undefined;
    let bestHead: Entry | undefined;
    for (const [name, heap] of this.#byName) {
      let head = heap.peek();
      while (head && head.state.location !== 'ready') {
        heap.pop();
        this.#size--;
        head = heap.peek();
      }
      if (!head) {
        this.#byName.delete(name);
        continue;
      }
      if ((!bestHead || before(head, bestHead)) && canStart(name)) {
        best = heap;
        bestHead = head;
      }
    }
    if (!best) return undefined;
    this.#size--;
    const entry = best.pop()!;
    entry.state.location = 'none';
    return entry.state;
  }
}
