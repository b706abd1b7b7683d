/**
 * Counts running attempts, per manager and per task name, so the dispatcher
 * can tell in O(1) whether one more may start.
 */
export class ConcurrencyLimiter {
  readonly #limit: number;
  readonly #perName = new Map<string, number>();
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

  canStart(name: string, nameLimit: number | null): boolean {
    if (this.#running >= this.#limit) return false;
    return nameLimit === null || (this.#perName.get(name) ?? 0) < nameLimit;
  }

  acquire(name: string): void {
    this.#running++;
    this.#perName.set(name, (this.#perName.get(name) ?? 0) + 1);
  }

  release(name: string): void {
    this.#running--;
    const count = (this.#perName.get(name) ?? 1) - 1;
    if (count === 0) this.#perName.delete(name);
    else this.#perName.set(name, count);
  }
}
