import type { SnapshotBackend } from '../backend/backend.js';
import type { Runtime } from '../engine/runtime.js';
import type { TaskState } from '../engine/task-state.js';
import type { BackendError } from '../errors/backend-error.js';
import { isFinished } from '../model/task-record.js';
import { slimRecord } from './slim-record.js';
import { type FlushHealth, WriteBatcher, type WriteOutcome } from './write-batcher.js';

/** What persistence asks of the engine. */
export interface PersistenceHooks {
  /** The store says another instance owns this task now: stop treating it as ours. */
  lost(state: TaskState, reason: string): void;
}

/** Health of the write path as `stats()` shows it. */
export interface PersistenceHealth extends FlushHealth {
  /** Records the store refused because another instance owns them now. */
  lost: number;
  /** Records given up on (refused by the store even slimmed, or not saved by stop()). */
  unsaved: number;
}

/**
 * Everything between the engine and the backend's writes: whether a task
 * must be stored before it is accepted or started, how urgently a change is
 * written, which records may leave memory, and what the store's answers
 * mean (fenced: the task is lost; refused: the record is slimmed and tried
 * again). It alone sets `TaskState.persisted`.
 */
export class Persistence {
  readonly #runtime: Runtime;
  readonly #backend: SnapshotBackend | null;
  readonly #hooks: PersistenceHooks;
  #batcher: WriteBatcher | null = null;
  /** Durable enqueues and starts waiting for their commit (stop() waits for them). */
  readonly #commits = new Set<Promise<unknown>>();
  /** Records refused once already (their next refusal gives up). */
  readonly #refused = new WeakSet<TaskState>();
  #lost = 0;
  #unsaved = 0;

  constructor(runtime: Runtime, backend: SnapshotBackend | null, hooks: PersistenceHooks) {
    this.#runtime = runtime;
    this.#backend = backend;
    this.#hooks = hooks;
  }

  /** Starts writing (once the backend is open). */
  start(): void {
    const backend = this.#backend;
    if (!backend) return;
    const { options, emit } = this.#runtime;
    this.#batcher = new WriteBatcher({
      backend,
      maxBatch: options.maxBatch,
      maxInFlight: options.maxWritesInFlight,
      interval: options.snapshotInterval,
      events: {
        flushed: (count, durationMs) => {
          // Records that just reached the store may now leave memory.
          this.evict();
          emit('flushed', { count, durationMs });
        },
        stored: (state) => {
          state.persisted = true;
        },
        fenced: (state) => this.#lose(state),
        refused: (state, error) => this.#onRefused(state, error),
        failed: (error) => this.report(error),
      },
    });
    this.#batcher.start();
  }

  /** Whether a new task must be stored before it is accepted (durable mode, or to reserve its key). */
  storesFirst(state: TaskState): boolean {
    return (
      this.#batcher !== null &&
      (this.#runtime.options.durability === 'durable' || state.record.idempotencyKey !== null)
    );
  }

  /** Whether a start must be stored before the function runs, so a crash cannot make it run twice. */
  storesStarts(state: TaskState): boolean {
    return this.#batcher !== null && state.persisted && this.#runtime.options.durability === 'durable';
  }

  /**
   * Stores a record now; resolves with what the store did, rejects with a `BackendError`.
   * `prepare` runs just before the record is taken into its batch (see `WriteBatcher.require`).
   */
  require(state: TaskState, prepare?: () => void): Promise<WriteOutcome> {
    const written = this.#batcher!.require(state, prepare);
    this.#commits.add(written);
    const forget = () => this.#commits.delete(written);
    written.then(forget, forget);
    return written;
  }

  /** Stores new records in one write (a bulk enqueue): all of them, or none when the store fails. */
  requireMany(states: readonly TaskState[]): Promise<WriteOutcome[]> {
    const written = this.#batcher!.requireMany(states);
    this.#commits.add(written);
    const forget = () => this.#commits.delete(written);
    written.then(forget, forget);
    return written;
  }

  /** Sends a changed record towards the backend with the urgency its change deserves. */
  persist(state: TaskState): void {
    const batcher = this.#batcher;
    if (!batcher || state.lost) return;
    const { status } = state.record;
    // A finished record is written at once: other instances wait on it (results, the
    // dashboard, a cancel request). Unfinished changes wait for the next write.
    if (isFinished(status) || (state.persisted && this.#runtime.options.durability === 'durable')) {
      batcher.flushSoon(state);
    } else if (state.persisted) {
      batcher.markDirty(state);
    }
  }

  /** A running task logged or reported progress: stored with the next write, if it is stored at all. */
  changed(state: TaskState): void {
    if (this.#batcher && state.persisted && !state.lost) this.#batcher.markDirty(state);
  }

  /** A record read from the store (claimed, preloaded): it has a row. */
  adopted(state: TaskState): void {
    state.persisted = this.#backend !== null;
  }

  /** The task is no longer this instance's to write (handed over to another instance). */
  forget(state: TaskState): void {
    this.#batcher?.forget(state);
  }

  /** Evicts the oldest finished records beyond `maxRecords` that reached the store. */
  evict(): void {
    const batcher = this.#batcher;
    this.#runtime.cache.evict(batcher ? (state) => !batcher.isPending(state) : () => true);
  }

  /** Resolves once the writes already due have landed (see `WriteBatcher.caughtUp`). */
  caughtUp(): Promise<void> {
    return this.#batcher ? this.#batcher.caughtUp() : Promise.resolve();
  }

  /** Resolves once every durable enqueue and start in flight has its answer. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#commits);
  }

  /**
   * `stop()`'s final flush: unfinished tasks are saved as they are (the next
   * start or another instance picks them up), then everything is written,
   * retrying until `deadline` (a `performance.now()` time). What still could
   * not be saved is reported, never dropped silently.
   */
  async finalFlush(deadline: number): Promise<void> {
    const batcher = this.#batcher;
    if (!batcher) return;
    for (const state of this.#runtime.cache.values()) {
      if (state.record.status === 'pending' && !state.lost) batcher.markDirty(state);
    }
    const unsaved = await batcher.drain(deadline);
    if (unsaved.length === 0) return;
    this.#unsaved += unsaved.length;
    const ids = unsaved.map((state) => state.record.id);
    const error = batcher.health().lastError;
    this.#runtime.options.logger.error(
      `final flush: ${ids.length} record(s) could not be saved before stop()'s deadline and are not in the store`,
      { ids: ids.slice(0, 100), error },
    );
    this.#runtime.emit('unsaved', { count: ids.length, ids, error });
  }

  health(): PersistenceHealth | null {
    const health = this.#batcher?.health();
    return health ? { ...health, lost: this.#lost, unsaved: this.#unsaved } : null;
  }

  /** Logs a backend failure and tells listeners; the manager carries on. */
  report(error: BackendError): void {
    this.#runtime.options.logger.warn(error.message, { operation: error.operation });
    this.#runtime.emit('backendError', error);
  }

  /** The store answered a write of this record with another owner: it is another instance's now. */
  lose(state: TaskState, reason: string): void {
    if (state.lost) return;
    state.lost = true;
    state.persisted = false;
    this.#lost++;
    this.#batcher?.forget(state);
    this.#hooks.lost(state, reason);
  }

  #lose(state: TaskState): void {
    this.lose(state, "the store refused this instance's write: another instance owns the task now");
  }

  /**
   * The store refused this one record (too large, out of range...). It is
   * written again without what usually makes a record too large (logs,
   * result, long error texts); refused again, it is given up and reported.
   */
  #onRefused(state: TaskState, error: BackendError): void {
    const { logger } = this.#runtime.options;
    const id = state.record.id;
    if (this.#refused.has(state)) {
      this.#unsaved++;
      logger.error(`the store refused task ${id} even without its logs and result; it is not stored`, {
        error: error.message,
      });
      this.#runtime.emit('unsaved', { count: 1, ids: [id], error: error.message });
      return;
    }
    this.#refused.add(state);
    logger.error(`the store refused task ${id}; storing it without its logs and result`, {
      error: error.message,
    });
    slimRecord(state.record, error.message);
    this.#batcher?.flushSoon(state);
  }
}
