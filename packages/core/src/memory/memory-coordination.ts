import type { QueueOverride, QueueOverridePatch } from '../backend/backend.js';

/**
 * The small shared state of flow control that `MemoryBackend` keeps beside
 * the tasks: queue overrides, semaphores, token buckets and locks. The
 * reference for what the stores do atomically.
 */
export class MemoryCoordination {
  readonly overrides = new Map<string, QueueOverride>();
  readonly #semaphores = new Map<string, Map<string, number>>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #locks = new Map<string, { holder: string; expiresAt: number }>();

  setOverride(name: string, patch: QueueOverridePatch, now: number): QueueOverride | null {
    const current = this.overrides.get(name) ?? {
      name,
      paused: null,
      concurrency: null,
      globalConcurrency: null,
      updatedAt: now,
    };
    const next = { ...current, ...patch, updatedAt: now };
    if (next.paused === null && next.concurrency === null && next.globalConcurrency === null) {
      this.overrides.delete(name);
      return null;
    }
    this.overrides.set(name, next);
    return { ...next };
  }

  acquire(
    key: string,
    holder: string,
    want: number,
    limit: number,
    alive: (holder: string) => boolean,
  ): number {
    const held = this.#semaphores.get(key) ?? new Map<string, number>();
    this.#semaphores.set(key, held);
    let used = 0;
    for (const [who, count] of held) {
      if (alive(who)) used += count;
      else held.delete(who);
    }
    const granted = Math.max(0, Math.min(want, limit - used));
    if (granted > 0) held.set(holder, (held.get(holder) ?? 0) + granted);
    return granted;
  }

  release(key: string, holder: string, count: number): void {
    const held = this.#semaphores.get(key);
    const left = (held?.get(holder) ?? 0) - count;
    if (left > 0) held!.set(holder, left);
    else held?.delete(holder);
  }

  takeTokens(key: string, want: number, rate: { max: number; perMs: number }, now: number): number {
    const bucket = this.#buckets.get(key) ?? { tokens: rate.max, at: now };
    const tokens = Math.min(rate.max, bucket.tokens + ((now - bucket.at) * rate.max) / rate.perMs);
    const taken = Math.max(0, Math.min(want, Math.floor(tokens)));
    this.#buckets.set(key, { tokens: tokens - taken, at: now });
    return taken;
  }

  tryLock(name: string, holder: string, ttlMs: number, now: number): boolean {
    const lock = this.#locks.get(name);
    if (lock && lock.holder !== holder && lock.expiresAt > now) return false;
    this.#locks.set(name, { holder, expiresAt: now + ttlMs });
    return true;
  }
}
