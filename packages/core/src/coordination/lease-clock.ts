/**
 * This instance's own view of its lease, on its monotonic clock.
 *
 * A heartbeat sent at local time `t` and acknowledged makes the store keep
 * the instance alive until at least `t + leaseTtl` of the store's clock
 * (the store stamps it later than `t`). So until `t + leaseTtl - margin`,
 * no other instance can have taken this instance's tasks; after it, one
 * may have. The margin absorbs clock drift and the time a write takes to
 * land.
 */
export class LeaseClock {
  readonly #ttl: number;
  readonly #margin: number;
  #renewedAt = Number.NEGATIVE_INFINITY;

  constructor(leaseTtl: number) {
    this.#ttl = leaseTtl;
    this.#margin = Math.min(1000, Math.ceil(leaseTtl * 0.2));
  }

  /** A heartbeat sent at `sentAt` (a `performance.now()` time) was acknowledged. */
  renewed(sentAt: number): void {
    if (sentAt > this.#renewedAt) this.#renewedAt = sentAt;
  }

  /** The `performance.now()` time after which another instance may have taken this one's tasks. */
  get deadline(): number {
    return this.#renewedAt + this.#ttl - this.#margin;
  }

  /** Whether the lease certainly still holds now. */
  valid(now = performance.now()): boolean {
    return now < this.deadline;
  }

  /** Ms since the lease was last known to hold (0 while it holds). */
  lapsedFor(now = performance.now()): number {
    return Math.max(0, now - this.deadline);
  }
}
