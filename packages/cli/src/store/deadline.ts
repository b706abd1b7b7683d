import { StoreTimeoutError } from '../errors.js';

/**
 * The time a command may spend waiting on the store, counted from one start
 * (`--timeout`). A store that hangs (a firewall dropping packets, a locked
 * file) must still give a container its verdict in time.
 */
export class Deadline {
  readonly #end: number;
  readonly totalMs: number;

  constructor(totalMs: number, start = performance.now()) {
    this.totalMs = totalMs;
    this.#end = start + totalMs;
  }

  get remainingMs(): number {
    return Math.max(0, this.#end - performance.now());
  }

  /** `work`, or a `StoreTimeoutError` naming `what` once the deadline passes (the work is abandoned). */
  race<T>(what: string, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeoutError(what, this.totalMs)), this.remainingMs);
    });
    return Promise.race([work, expired]).finally(() => clearTimeout(timer));
  }
}
