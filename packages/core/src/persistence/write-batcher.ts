import type { SnapshotBackend } from '../backend/backend.js';
import type { TaskState } from '../engine/task-state.js';
import { BackendError } from '../errors/backend-error.js';
import { type Entry, entryOf, type Waiter, type WriteOutcome } from './write-entry.js';

export type { WriteOutcome } from './write-entry.js';

/** Health of the write path, for `stats()` and health checks. */
export interface FlushHealth {
  healthy: boolean;
  lastError: string | null;
  /** Epoch ms since writes have been failing, or null. */
  failingSince: number | null;
  lastFlushAt: number | null;
  /** Records waiting to be written. */
  dirty: number;
  /** Records written since start. */
  written: number;
}

/** What the batcher tells its owner (persistence) about individual records. */
export interface WriteBatcherEvents {
  /** A batch landed. */
  flushed(count: number, durationMs: number): void;
  /** A background record was written (`persisted` becomes true). */
  stored(state: TaskState): void;
  /** The store refused a background record because another instance owns it now. */
  fenced(state: TaskState): void;
  /** The store refused this one record itself (too large, out of range...), alone in its batch. */
  refused(state: TaskState, error: BackendError): void;
  /** A batch failed; it is retried with backoff. */
  failed(error: BackendError): void;
}

export interface WriteBatcherOptions {
  backend: SnapshotBackend;
  maxBatch: number;
  /** Writes in flight at once (each on records no other flight holds). */
  maxInFlight: number;
  interval: number;
  events: WriteBatcherEvents;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 10_000;

/**
 * Moves records from memory to the backend, batching everything that
 * arrives while writes are in flight into the next one (group commit): one
 * transaction for many enqueues, never one commit each.
 *
 * Two lanes share each batch. Required writes (`require()`: durable
 * enqueues, idempotency reservations, durable starts) are waited on by a
 * caller and fail fast with a typed error when the backend does.
 * Background writes (`markDirty()`, `flushSoon()`: finished records,
 * progress) are retried with backoff until they land, so nothing is lost
 * during an outage.
 *
 * A batch the store refuses as data (`BackendError.failure === 'refused'`)
 * is split in halves until the one record it refuses stands alone, so every
 * other record still lands.
 *
 * Up to `maxInFlight` writes run at once, so a store's round-trip time does
 * not cap throughput; a record is never in two of them, so its writes still
 * reach the store in the order they happened.
 */
export class WriteBatcher {
  readonly #options: WriteBatcherOptions;
  readonly #dirty = new Map<string, TaskState>();
  #waiters: Waiter[] = [];
  /** Records in the writes now in flight: neither a second write nor eviction may touch them. */
  readonly #inFlight = new Map<string, TaskState>();
  readonly #flights = new Set<Promise<void>>();
  /** A write is due on the next macrotask (see #kick). */
  #scheduled = false;
  #urgent = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryDelay = FIRST_RETRY_MS;
  #intervalTimer: NodeJS.Timeout | null = null;
  readonly #health: FlushHealth = {
    healthy: true,
    lastError: null,
    failingSince: null,
    lastFlushAt: null,
    dirty: 0,
    written: 0,
  };

  constructor(options: WriteBatcherOptions) {
    this.#options = options;
  }

  /** Starts the periodic snapshot flush. */
  start(): void {
    this.#intervalTimer = setInterval(() => this.#kick(), this.#options.interval);
    this.#intervalTimer.unref();
  }

  health(): FlushHealth {
    this.#health.dirty = this.#dirty.size + this.#waiters.length;
    return { ...this.#health };
  }

  /** Whether the record still has a write to make (eviction must wait). */
  isPending(state: TaskState): boolean {
    return this.#dirty.has(state.record.id) || this.#inFlight.has(state.record.id);
  }

  /** Queues a record for the next write (periodic, or piggybacked on any earlier one). */
  markDirty(state: TaskState): void {
    this.#dirty.set(state.record.id, state);
  }

  /** Forgets a queued background write (the record is no longer this instance's to write). */
  forget(state: TaskState): void {
    if (this.#dirty.get(state.record.id) === state) this.#dirty.delete(state.record.id);
  }

  /** Queues a record and starts a write now (a task reached success or failed). */
  flushSoon(state: TaskState): void {
    this.#dirty.set(state.record.id, state);
    this.#urgent = true;
    this.#kick();
  }

  /** Resolves once the writes already due have ended, so a store read sees them (not during an outage). */
  async caughtUp(): Promise<void> {
    for (let round = 0; round < 3 && this.#health.healthy; round++) {
      if (this.#scheduled) await new Promise((resolve) => setImmediate(resolve));
      if (this.#flights.size === 0) return;
      await Promise.allSettled([...this.#flights]);
    }
  }

  /**
   * Writes a record now and resolves with what the store did, or rejects with the backend's error.
   * `prepare` runs just before the record is copied into its batch, which may be a while after the
   * call when writes are in flight: a last change made there goes into the same commit.
   */
  require(state: TaskState, prepare?: () => void): Promise<WriteOutcome> {
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.#waiters.push({ state, resolve, reject, prepare });
      this.#kick(true);
    });
  }

  /**
   * Writes new records together in one call to the backend (one
   * transaction / pipeline, whatever `maxBatch` says): a bulk enqueue is
   * stored whole or, when the store fails or refuses any of it, not at all.
   */
  requireMany(states: readonly TaskState[]): Promise<WriteOutcome[]> {
    const entries: Entry[] = [];
    const outcomes = states.map(
      (state) =>
        new Promise<WriteOutcome>((resolve, reject) => {
          entries.push(entryOf(state, [{ state, resolve, reject }]));
        }),
    );
    for (const entry of entries) this.#inFlight.set(entry.record.id, entry.state);
    const flight: Promise<void> = this.#writeEntries(entries, false).finally(() => {
      for (const entry of entries) this.#inFlight.delete(entry.record.id);
      this.#flights.delete(flight);
    });
    this.#flights.add(flight);
    return Promise.all(outcomes);
  }

  /**
   * Writes everything queued and waits for it, retrying with backoff until
   * `deadline` (a `performance.now()` time): the final flush of `stop()`.
   * Resolves with the records that still could not be written.
   */
  async drain(deadline: number): Promise<TaskState[]> {
    if (this.#intervalTimer) clearInterval(this.#intervalTimer);
    this.#intervalTimer = null;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    let delay = FIRST_RETRY_MS;
    for (;;) {
      while (this.#flights.size > 0 && performance.now() < deadline) {
        await Promise.race([Promise.all(this.#flights), until(deadline)]);
      }
      if (this.#flights.size === 0 && this.#dirty.size === 0 && this.#waiters.length === 0) return [];
      if (performance.now() >= deadline) break;
      const before = this.#health.written;
      await Promise.race([this.#startWrite(), until(deadline)]);
      if (this.#health.written === before && !this.#health.healthy) {
        const wait = Math.min(delay, deadline - performance.now());
        if (wait <= 0) break;
        await new Promise((resolve) => setTimeout(resolve, wait));
        delay = Math.min(delay * 2, 1000);
      }
    }
    // What is still queued, and what a write that outlived the deadline holds: neither is known stored.
    const unsaved = [...new Set([...this.#dirty.values(), ...this.#inFlight.values()])];
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(
        new BackendError(this.#options.backend.name, 'write', new Error('the manager stopped first')),
      );
    }
    return unsaved;
  }

  #kick(required = false): void {
    if (this.#scheduled) return;
    if (this.#flights.size >= this.#options.maxInFlight) {
      // The flight that ends first starts the next write.
      if (required) this.#urgent = true;
      return;
    }
    // During an outage background writes wait for the retry timer; a caller
    // waiting on a required write is told about the outage at once instead.
    if (this.#retryTimer && !required) return;
    if (this.#dirty.size === 0 && this.#waiters.length === 0) return;
    // Start on the next macrotask, not now: everything enqueued in this tick
    // joins the same write. A synchronous driver (better-sqlite3) is never
    // "in flight", so without this each enqueue would get its own commit.
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#flights.size < this.#options.maxInFlight) void this.#startWrite();
    });
  }

  /** Starts one write; when it ends, starts the next if callers are waiting. */
  #startWrite(): Promise<void> {
    const flight: Promise<void> = this.#write().finally(() => {
      this.#flights.delete(flight);
      if (this.#waiters.length > 0 || (this.#urgent && this.#dirty.size > 0))
        this.#kick(this.#waiters.length > 0);
    });
    this.#flights.add(flight);
    return flight;
  }

  /** Takes the next batch: waiting callers first, then background records, none already in flight. */
  #takeBatch(): Entry[] {
    const { maxBatch } = this.#options;
    const entries = new Map<string, Entry>();
    const later: Waiter[] = [];
    for (const waiter of this.#waiters) {
      const id = waiter.state.record.id;
      const known = entries.get(id);
      if (known) {
        known.waiters.push(waiter);
        continue;
      }
      // A record another flight is writing waits for it: its writes stay in order.
      if (entries.size >= maxBatch || this.#inFlight.has(id)) {
        later.push(waiter);
        continue;
      }
      this.#dirty.delete(id);
      waiter.prepare?.();
      entries.set(id, entryOf(waiter.state, [waiter]));
    }
    this.#waiters = later;
    for (const [id, state] of this.#dirty) {
      if (entries.size >= maxBatch) {
        this.#urgent = true;
        break;
      }
      if (this.#inFlight.has(id)) {
        // Written once that flight ends: keep a write due, or it would wait for the interval.
        this.#urgent = true;
        continue;
      }
      this.#dirty.delete(id);
      if (entries.has(id)) continue;
      entries.set(id, entryOf(state, []));
    }
    return [...entries.values()];
  }

  async #write(): Promise<void> {
    this.#urgent = false;
    const batch = this.#takeBatch();
    if (batch.length === 0) return;
    for (const entry of batch) this.#inFlight.set(entry.record.id, entry.state);
    try {
      await this.#writeEntries(batch);
    } finally {
      for (const entry of batch) this.#inFlight.delete(entry.record.id);
    }
  }

  /** Writes entries; a batch the store refuses as data is split until the refused record stands alone. */
  async #writeEntries(entries: Entry[], split = true): Promise<void> {
    const { backend } = this.#options;
    const started = performance.now();
    try {
      const records = entries.map((entry) => entry.record);
      const result = await backend.write(records, { kinds: entries.map((entry) => entry.kind) });
      this.#succeeded(entries.length, performance.now() - started);
      this.#settle(entries, result.conflicts, result.fenced);
    } catch (cause) {
      const error = cause instanceof BackendError ? cause : new BackendError(backend.name, 'write', cause);
      if (error.failure === 'refused') {
        if (split && entries.length > 1) {
          const half = entries.length >> 1;
          await this.#writeEntries(entries.slice(0, half));
          await this.#writeEntries(entries.slice(half));
          return;
        }
        // The store answered: it is not down, this data is refused.
        for (const entry of entries) {
          for (const waiter of entry.waiters) waiter.reject(error);
          if (entry.waiters.length === 0) this.#options.events.refused(entry.state, error);
        }
        return;
      }
      for (const { state, waiters } of entries) {
        for (const waiter of waiters) waiter.reject(error);
        // A newer change queued during the write supersedes this one.
        if (waiters.length === 0 && !this.#dirty.has(state.record.id))
          this.#dirty.set(state.record.id, state);
      }
      this.#failed(error);
    }
  }

  #settle(entries: Entry[], conflicts: Array<{ id: string; existingId: string }>, fenced: string[]): void {
    const conflictOf = conflicts.length > 0 ? new Map(conflicts.map((c) => [c.id, c.existingId])) : null;
    const fencedIds = fenced.length > 0 ? new Set(fenced) : null;
    const { events } = this.#options;
    for (const { record, state, waiters } of entries) {
      const existingId = conflictOf?.get(record.id);
      const outcome: WriteOutcome =
        existingId !== undefined
          ? { status: 'conflict', existingId }
          : fencedIds?.has(record.id)
            ? { status: 'fenced' }
            : { status: 'stored' };
      if (waiters.length > 0) {
        if (outcome.status === 'stored') events.stored(state);
        for (const waiter of waiters) waiter.resolve(outcome);
      } else if (outcome.status === 'stored') {
        events.stored(state);
      } else if (outcome.status === 'fenced') {
        events.fenced(state);
      }
      // A background record whose key another task holds was never accepted: nothing to do.
    }
  }

  #succeeded(count: number, durationMs: number): void {
    const health = this.#health;
    health.healthy = true;
    health.failingSince = null;
    health.lastFlushAt = Date.now();
    health.written += count;
    this.#retryDelay = FIRST_RETRY_MS;
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
    this.#options.events.flushed(count, durationMs);
  }

  #failed(error: BackendError): void {
    const health = this.#health;
    health.healthy = false;
    health.lastError = error.message;
    health.failingSince ??= Date.now();
    this.#options.events.failed(error);
    if (this.#dirty.size > 0 && !this.#retryTimer && this.#intervalTimer) {
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        this.#kick();
      }, this.#retryDelay);
      this.#retryTimer.unref();
      this.#retryDelay = Math.min(this.#retryDelay * 2, MAX_RETRY_MS);
    }
  }
}

/** Resolves at `deadline` (a `performance.now()` time), without keeping the process alive. */
function until(deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, deadline - performance.now()));
    timer.unref();
  });
}
