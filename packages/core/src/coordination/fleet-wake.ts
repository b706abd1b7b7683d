import type { SnapshotBackend } from '../backend/backend.js';
import { WakeTimer } from './wake-timer.js';

/**
 * Tells the fleet that unowned work was stored: one `notify()` per burst
 * (coalesced to the next macrotask), another when delayed work becomes
 * due, and this instance's own claimer at once, so "work it stored itself"
 * never waits for a poll.
 */
export class FleetWake {
  readonly #backend: SnapshotBackend;
  readonly #local: () => void;
  readonly #timer: WakeTimer;
  #pending = false;

  constructor(backend: SnapshotBackend, local: () => void) {
    this.#backend = backend;
    this.#local = local;
    this.#timer = new WakeTimer(() => this.#ring());
  }

  /** Unowned work due at `runAt` was stored. */
  stored(runAt: number): void {
    if (runAt > Date.now()) this.#timer.at(runAt);
    else this.#ring();
  }

  stop(): void {
    this.#timer.stop();
  }

  #ring(): void {
    if (this.#pending) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      this.#local();
      if (this.#backend.capabilities.notify) void this.#backend.notify?.().catch(() => {});
    });
  }
}
