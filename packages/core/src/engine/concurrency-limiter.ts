/**
 * Counts running attempts, per manager, per task name and per queue, so the
 * dispatcher can tell in O(1) whether one more may start.
 */
export class ConcurrencyLimiter {
  readonly #limit: number;
  readonly #perName = new Map<string, number>();
  readonly #perQueue = new Map<string, number>();
  #running = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get running(): number {
    return this.#running;
  }

  get full(): boolean {
    return this.#running >= this.#limit;
  }

  /** Attempts of `queue` running here now. */
  runningIn(queue: string): number {
    return this.#perQueue.get(queue) ?? 0;
  }

  canStart(name: string, nameLimit: number | null): boolean {
    if (this.#running >= this.#limit) return false;
    return nameLimit === null || (this.#perName.get(name) ?? 0) < nameLimit;
  }

  acquire(name: string, queue: string): void {
    this.#running++;
    this.#perName.set(name, (this.#perName.get(name) ?? 0) + 1);
    this.#perQueue.set(queue, (this.#perQueue.get(queue) ?? 0) + 1);
  }

  release(name: string, queue: string): void {
    this.#running--;
    decrement(this.#perName, name);
    decrement(this.#perQueue, queue);
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const count = (counts.get(key) ?? 1) - 1;
  if (count === 0) counts.delete(key);
  else counts.set(key, count);
}
