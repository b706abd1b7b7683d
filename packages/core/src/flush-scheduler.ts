import type { SnapshotBackend } from './backend.js';
import { BackendError } from './errors/backend-error.js';
import { cloneRecord, type TaskRecord } from './task-record.js';
import type { TaskState } from './task-state.js';

/** Outcome of a required write: stored, or refused because another task holds the key. */
export type WriteOutcome = { stored: true } | { stored: false; existingId: string };

interface Waiter {
  state: TaskState;
  resolve: (outcome: WriteOutcome) => void;
  reject: (error: BackendError) => void;
}

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

export interface FlushSchedulerOptions {
  backend: SnapshotBackend;
  maxBatch: number;
  /** Writes in flight at once (each on records no other flight holds). */
  maxInFlight: number;
  interval: number;
  onFlushed: (count: number, durationMs: number) => void;
  onError: (error: BackendError) => void;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 10_000;

/**
 * Moves records from memory to the backend, batching everything that
 * arrives while writes are in flight into the next one (group commit): one
 * transaction for many enqueues, never one commit each.
 *
 * Two lanes share each batch. Required writes (`require()`: durable
 * enqueues, idempotency reservations) are waited on by a caller and fail
 * fast with a typed error when the backend does. Background writes
 * (`markDirty()`, `flushSoon()`: finished records, progress) are retried
 * with backoff until they land, so nothing is lost during an outage.
 *
 * Up to `maxInFlight` writes run at once, so a store's round-trip time does
 * not cap throughput; a record is never in two of them, so its writes still
 * reach the store in the order they happened.
 */
export class FlushScheduler {
  readonly #options: FlushSchedulerOptions;
  readonly #dirty = new Map<string, TaskState>();
  #waiters: Waiter[] = [];
  /** Ids in the writes now in flight: neither a second write nor eviction may touch them. */
  readonly #inFlightIds = new Set<string>();
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

  constructor(options: FlushSchedulerOptions) {
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
    return this.#dirty.has(state.record.id) || this.#inFlightIds.has(state.record.id);
  }

  /** Queues a record for the next write (periodic, or piggybacked on any earlier one). */
  markDirty(state: TaskState): void {
    this.#dirty.set(state.record.id, state);
  }

  /** Queues a record and starts a write now (a task reached success or failed). */
  flushSoon(state: TaskState): void {
    this.#dirty.set(state.record.id, state);
    this.#urgent = true;
    this.#kick();
  }

  /** Writes a record now and resolves once it is stored, or rejects with the backend's error. */
  require(state: TaskState): Promise<WriteOutcome> {
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.#waiters.push({ state, resolve, reject });
      this.#kick(true);
    });
  }

  /**
   * Writes everything queued and waits for it (the final flush of `stop()`).
   * Rejects with the last error if the backend still fails after `attempts`.
   */
  async drain(attempts = 3): Promise<void> {
    if (this.#intervalTimer) clearInterval(this.#intervalTimer);
    this.#intervalTimer = null;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    let failures = 0;
    for (;;) {
      while (this.#flights.size > 0) await Promise.all(this.#flights);
      if (this.#dirty.size === 0 && this.#waiters.length === 0) return;
      const before = this.#health.written;
      await this.#startWrite();
      if (this.#health.written === before && !this.#health.healthy) {
        if (++failures >= attempts) throw new Error(this.#health.lastError ?? 'final flush failed');
        await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_MS * 2 ** failures));
      }
    }
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

  async #write(): Promise<void> {
    const { maxBatch, backend } = this.#options;
    this.#urgent = false;
    const batch: TaskRecord[] = [];
    const ids = new Set<string>();
    const waiters: Waiter[] = [];
    const later: Waiter[] = [];
    for (const waiter of this.#waiters) {
      const id = waiter.state.record.id;
      // A record another flight is writing waits for it: its writes stay in order.
      if (batch.length >= maxBatch || this.#inFlightIds.has(id)) {
        later.push(waiter);
        continue;
      }
      waiters.push(waiter);
      if (ids.has(id)) continue;
      ids.add(id);
      this.#dirty.delete(id);
      batch.push(cloneRecord(waiter.state.record));
    }
    this.#waiters = later;
    const background: TaskState[] = [];
    for (const [id, state] of this.#dirty) {
      if (batch.length >= maxBatch) {
        this.#urgent = true;
        break;
      }
      if (this.#inFlightIds.has(id)) {
        // Written once that flight ends: keep a write due, or it would wait for the interval.
        this.#urgent = true;
        continue;
      }
      this.#dirty.delete(id);
      if (ids.has(id)) continue;
      ids.add(id);
      background.push(state);
      batch.push(cloneRecord(state.record));
    }
    if (batch.length === 0) return;
    for (const id of ids) this.#inFlightIds.add(id);
    const started = performance.now();
    try {
      const result = await backend.write(batch);
      const conflicts = new Map(result.conflicts.map((conflict) => [conflict.id, conflict.existingId]));
      this.#succeeded(batch.length, performance.now() - started);
      for (const state of background) state.persisted = state.persisted || !conflicts.has(state.record.id);
      for (const waiter of waiters) {
        const existingId = conflicts.get(waiter.state.record.id);
        if (existingId === undefined) {
          waiter.state.persisted = true;
          waiter.resolve({ stored: true });
        } else {
          waiter.resolve({ stored: false, existingId });
        }
      }
    } catch (cause) {
      const error = cause instanceof BackendError ? cause : new BackendError(backend.name, 'write', cause);
      for (const state of background) {
        // A newer change queued during the write supersedes this one.
        if (!this.#dirty.has(state.record.id)) this.#dirty.set(state.record.id, state);
      }
      for (const waiter of waiters) waiter.reject(error);
      this.#failed(error);
    } finally {
      for (const id of ids) this.#inFlightIds.delete(id);
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
    this.#options.onFlushed(count, durationMs);
  }

  #failed(error: BackendError): void {
    const health = this.#health;
    health.healthy = false;
    health.lastError = error.message;
    health.failingSince ??= Date.now();
    this.#options.onError(error);
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
