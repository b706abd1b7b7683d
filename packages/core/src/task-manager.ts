import type { InstanceInfo, SnapshotBackend } from './backend.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { DelayQueue } from './delay-queue.js';
import { BackendError } from './errors/backend-error.js';
import { DuplicateTaskError } from './errors/duplicate-task-error.js';
import { InvalidArgumentsError } from './errors/invalid-arguments-error.js';
import { InvalidOptionError } from './errors/invalid-option-error.js';
import { InvalidStateError } from './errors/invalid-state-error.js';
import { ShutdownError } from './errors/shutdown-error.js';
import { TaskCancelledError } from './errors/task-cancelled-error.js';
import { TaskNotFoundError } from './errors/task-not-found-error.js';
import { TaskTimeoutError } from './errors/task-timeout-error.js';
import { UnknownTaskError } from './errors/unknown-task-error.js';
import { type TaskEvents, TypedEmitter } from './events.js';
import { type FlushHealth, FlushScheduler } from './flush-scheduler.js';
import { assertJsonValue, fitsAsResult } from './json-value.js';
import {
  checkIdempotencyKey,
  checkTags,
  type EnqueueOptions,
  type ManagerOptions,
  type ResolvedManagerOptions,
  resolveManagerOptions,
  resolveRunAt,
  resolveTaskOptions,
  type TaskOptions,
} from './options.js';
import { normalizeQuery, queryRecords, toPage } from './query-filter.js';
import { ReadyQueue } from './ready-queue.js';
import { retryDelay } from './retry.js';
import { AttemptContext, type ContextHost, type TaskContext } from './task-context.js';
import { newTaskId } from './task-id.js';
import type { StatusCounts, TaskPage, TaskQuery } from './task-query.js';
import {
  cloneRecord,
  FINISHED_STATUSES,
  isFinished,
  type TaskRecord,
  type TaskStatus,
} from './task-record.js';
import { newState, type TaskDefinition, type TaskState } from './task-state.js';
import { TaskStore } from './task-store.js';

/** A task function: `ctx` first, then the arguments given to `enqueue()`. */
export type TaskFunction<A extends unknown[], R> = (ctx: TaskContext, ...args: A) => R | Promise<R>;

/** The typed handle `define()` returns. */
export interface TaskHandle<A extends unknown[], R> {
  readonly name: string;
  /** Enqueues one run with these arguments; resolves to the task id. */
  enqueue(
    ...params: A extends [] ? [args?: A, options?: EnqueueOptions] : [args: A, options?: EnqueueOptions]
  ): Promise<string>;
  /** Phantom field carrying the result type for tooling; always undefined. */
  readonly __result?: R;
}

/** Options of `stop()`. */
export interface StopOptions {
  /** How long running tasks may take to finish before they are interrupted, in ms. Default 10000. */
  timeout?: number;
}

/**
 * A part that lives and dies with a manager, such as `@errand/scheduler`:
 * started once the manager has started (and recovered), stopped before the
 * manager stops taking work.
 */
export interface ManagerComponent {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Lifecycle of a manager. */
export type ManagerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** What `stats()` reports: this instance's live figures. */
export interface ManagerStats {
  instanceId: string;
  state: ManagerState;
  /** Attempts running now. */
  running: number;
  /** Tasks ready to run, waiting for a free slot. */
  queued: number;
  /** Tasks waiting for their `runAt` (delays and retry backoff). */
  delayed: number;
  /** Records held in memory. */
  retained: number;
  /** Per-status counts of the records in memory. */
  counts: StatusCounts;
  /** Null without a backend. */
  backend: (FlushHealth & { name: string; heartbeatHealthy: boolean }) | null;
}

const RUNNING_COMMIT_RETRY_MS = 1000;
const RETRYABLE: readonly TaskStatus[] = ['failed', 'interrupted', 'cancelled', 'rejected'];

function errorOf(value: unknown): { message: string; stack: string | null } {
  if (value instanceof Error) return { message: value.message || value.name, stack: value.stack ?? null };
  return {
    message: typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)),
    stack: null,
  };
}

/**
 * Runs background tasks inside this process, with retries, a tracked
 * lifecycle, optional persistence, crash recovery and idempotency keys.
 *
 * ```ts
 * const manager = new TaskManager({ backend: new SqliteBackend({ path: 'tasks.db' }) });
 * const sendEmail = manager.define('sendEmail', async (ctx, to: string) => { ... }, { retries: 3 });
 * await manager.start();
 * const id = await sendEmail.enqueue(['ada@example.com']);
 * ```
 */
export class TaskManager extends TypedEmitter<TaskEvents> {
  readonly #options: ResolvedManagerOptions;
  readonly #definitions = new Map<string, TaskDefinition>();
  readonly #store: TaskStore;
  readonly #ready = new ReadyQueue();
  readonly #delayed: DelayQueue;
  readonly #limiter: ConcurrencyLimiter;
  readonly #contextHost: ContextHost;
  /** Resolved whenever the last running attempt settles (stop() waits on it). */
  #idleWaiters: Array<() => void> = [];
  /** Durable enqueues and starts waiting for their commit. */
  readonly #commits = new Set<Promise<unknown>>();
  #flush: FlushScheduler | null = null;
  #state: ManagerState = 'idle';
  #startPromise: Promise<void> | null = null;
  #stopPromise: Promise<void> | null = null;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #takeoverTimer: NodeJS.Timeout | null = null;
  #recovering: Promise<number> | null = null;
  #heartbeatHealthy = true;
  readonly #components: ManagerComponent[] = [];
  readonly #extraMeta: Record<string, unknown> = {};

  constructor(options: ManagerOptions = {}) {
    super();
    this.#options = resolveManagerOptions(options);
    this.#store = new TaskStore(this.#options.maxRecords);
    this.#limiter = new ConcurrencyLimiter(this.#options.concurrency);
    this.#delayed = new DelayQueue((state) => this.#makeReady(state));
    this.#contextHost = {
      maxLogLines: this.#options.maxLogLines,
      changed: (state) => {
        if (this.#flush && state.persisted) this.#flush.markDirty(state);
      },
    };
    this.setListenerErrorHandler((error, event) =>
      this.#options.logger.error(`a listener of "${event}" threw`, { error: errorOf(error).message }),
    );
  }

  /** This instance's id, as written in records and heartbeats. */
  get instanceId(): string {
    return this.#options.instanceId;
  }

  /** Where the manager is in its lifecycle. */
  get state(): ManagerState {
    return this.#state;
  }

  /** The backend given at construction, or null (memory only). */
  get backend(): SnapshotBackend | null {
    return this.#options.backend;
  }

  /** Names of the defined tasks. */
  get taskNames(): string[] {
    return [...this.#definitions.keys()];
  }

  /**
   * Registers a task function under `name` and returns a typed handle.
   * Define every task before `start()`, so that recovery can run them.
   */
  define<A extends unknown[], R>(
    name: string,
    fn: TaskFunction<A, R>,
    options?: TaskOptions,
  ): TaskHandle<A, R> {
    if (typeof name !== 'string' || name === '' || name.length > 255) {
      throw new InvalidOptionError('define: name must be a string of 1 to 255 characters');
    }
    if (typeof fn !== 'function') throw new InvalidOptionError(`define("${name}"): fn must be a function`);
    if (this.#definitions.has(name))
      throw new DuplicateTaskError(`a task named "${name}" is already defined`);
    const resolved = resolveTaskOptions(options, this.#options.taskDefaults, `define("${name}")`);
    this.#definitions.set(name, { name, fn, options: resolved });
    const enqueue = (args?: unknown[], enqueueOptions?: EnqueueOptions) =>
      this.enqueue(name, args ?? [], enqueueOptions);
    return { name, enqueue } as unknown as TaskHandle<A, R>;
  }

  /**
   * Enqueues one run of a defined task and resolves to its id. Arguments
   * must round-trip through JSON (`InvalidArgumentsError` otherwise). With
   * an idempotency key that a task already holds, resolves to that task's id.
   * In durable mode it resolves only once the task is stored.
   */
  async enqueue(name: string, args: unknown[] = [], options: EnqueueOptions = {}): Promise<string> {
    if (this.#state !== 'running') {
      throw new InvalidStateError(
        this.#state === 'idle' || this.#state === 'starting'
          ? 'call and await manager.start() before enqueueing'
          : `the manager is ${this.#state} and takes no new tasks`,
      );
    }
    const record = this.createRecord(name, args, options);
    const definition = this.#definitions.get(name)!;
    const key = record.idempotencyKey;
    if (key) {
      const holder = this.#store.keyHolder(key);
      if (holder) return holder.accepted ?? holder.record.id;
    }
    const state = newState(record);
    this.#store.add(state);
    if (this.#flush && (this.#options.durability === 'durable' || key !== null)) {
      const accepted = this.#acceptStored(state, definition);
      state.accepted = accepted;
      this.#track(accepted);
      return accepted;
    }
    this.emit('enqueued', record);
    this.#schedule(state);
    return record.id;
  }

  /**
   * Opens the backend, registers this instance, loads recent history and
   * takes over the unfinished tasks of stopped or dead instances (pending
   * ones run again; interrupted ones only when `requeueOnInterrupt`).
   */
  start(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      return Promise.reject(
        new InvalidStateError(`the manager is ${this.#state}; a stopped manager cannot start again`),
      );
    }
    this.#startPromise ??= this.#start().catch((error: unknown) => {
      this.#startPromise = null;
      throw error;
    });
    return this.#startPromise;
  }

  /**
   * Stops taking work, lets running tasks finish for up to `timeout` ms,
   * interrupts the rest, saves every unfinished task for the next start
   * (or for another instance), performs a final flush and closes the backend.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopPromise ??= this.#stop(options.timeout ?? 10_000);
    return this.#stopPromise;
  }

  /**
   * Builds the pending record `enqueue()` would store, with this manager's
   * defaults and checks (`InvalidArgumentsError`, `InvalidOptionError`),
   * without enqueueing it. For components that store tasks themselves.
   */
  createRecord(name: string, args: unknown[] = [], options: EnqueueOptions = {}): TaskRecord {
    const definition = this.#definitions.get(name);
    if (!definition) throw new UnknownTaskError(`no task named "${name}" is defined`);
    if (!Array.isArray(args)) throw new InvalidArgumentsError('args', 'is not an array');
    assertJsonValue(args, 'args');
    const now = Date.now();
    return {
      id: newTaskId(now),
      name,
      queue: 'default',
      priority: 0,
      tags: checkTags(options.tags),
      args: args.slice(),
      status: 'pending',
      attempt: 0,
      maxAttempts: definition.options.retries + 1,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      duration: null,
      runAt: resolveRunAt(options, now),
      error: null,
      stack: null,
      logs: [],
      progress: null,
      result: null,
      idempotencyKey: checkIdempotencyKey(options.idempotencyKey),
      owner: this.#options.instanceId,
      requeueOnInterrupt: definition.options.requeueOnInterrupt,
    };
  }

  /**
   * Starts `component` with the manager (at once if it already runs) and
   * stops it before the manager stops taking work.
   */
  async attach(component: ManagerComponent): Promise<void> {
    this.#components.push(component);
    if (this.#state === 'running') await component.start();
  }

  /**
   * Adds fields to the metadata this instance publishes with its heartbeat
   * (`instances()`), e.g. whether its scheduler fires ticks.
   */
  setInstanceMeta(fields: Record<string, unknown>): void {
    Object.assign(this.#extraMeta, fields);
  }

  /**
   * Runs a pending task record that a component stored itself, owned by this
   * instance (the scheduler stores a tick's run together with the tick).
   * The record's task name must be defined here.
   */
  adoptStored(record: TaskRecord): void {
    if (this.#state !== 'running') throw new InvalidStateError(`the manager is ${this.#state}`);
    if (!this.#definitions.has(record.name))
      throw new UnknownTaskError(`no task named "${record.name}" is defined`);
    if (record.owner !== this.instanceId || record.status !== 'pending') {
      throw new InvalidStateError('adoptStored() takes a pending record owned by this instance');
    }
    const state = newState(record);
    state.persisted = this.#flush !== null;
    this.#store.add(state);
    this.emit('enqueued', record);
    this.#schedule(state);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** A task by id: from memory, else from the backend. Undefined when unknown. */
  async get(id: string): Promise<TaskRecord | undefined> {
    const state = this.#store.get(id);
    if (state) return cloneRecord(state.record);
    const backend = this.#options.backend;
    if (!backend || this.#state !== 'running') return undefined;
    return (await this.#call('get', () => backend.get(id))) ?? undefined;
  }

  /** Records held in memory (recent history and every unfinished task), filtered and paged. */
  list(query: TaskQuery = {}): TaskPage {
    const normalized = normalizeQuery(query);
    const page = toPage(queryRecords(this.#store.records(), normalized), normalized);
    return { records: page.records.map(cloneRecord), nextCursor: page.nextCursor };
  }

  /** History from the backend (memory without one), filtered and paged, newest first. */
  async query(query: TaskQuery = {}): Promise<TaskPage> {
    const backend = this.#options.backend;
    if (!backend) return this.list(query);
    const normalized = normalizeQuery(query);
    return toPage(await this.#call('query', () => backend.query(normalized)), normalized);
  }

  /** Per-status totals from the backend (memory without one). */
  async counts(query: Omit<TaskQuery, 'limit' | 'cursor'> = {}): Promise<StatusCounts> {
    const backend = this.#options.backend;
    if (!backend) return { ...this.#store.counts };
    const normalized = normalizeQuery(query);
    return this.#call('counts', () => backend.counts(normalized));
  }

  /** Live instances sharing the backend (just this one without a backend). */
  async instances(): Promise<InstanceInfo[]> {
    const backend = this.#options.backend;
    if (!backend) {
      return [{ id: this.instanceId, expiresAt: Number.POSITIVE_INFINITY, startedAt: 0, meta: this.#meta() }];
    }
    return this.#call('instances', () => backend.instances());
  }

  /**
   * Runs a failed, interrupted, cancelled or rejected task again under the
   * same id, with fresh attempts. Resolves to the id.
   */
  async retry(id: string): Promise<string> {
    if (this.#state !== 'running') throw new InvalidStateError(`the manager is ${this.#state}`);
    let state = this.#store.get(id);
    const backend = this.#options.backend;
    const record = state?.record ?? (backend ? await this.#call('get', () => backend.get(id)) : null);
    if (!record) throw new TaskNotFoundError(`no task with id ${id}`);
    if (!RETRYABLE.includes(record.status)) {
      throw new InvalidStateError(
        `task ${id} is ${record.status}; only failed, interrupted, cancelled or rejected tasks can be retried`,
      );
    }
    const definition = this.#definitions.get(record.name);
    if (!definition) throw new UnknownTaskError(`no task named "${record.name}" is defined in this instance`);
    if (!state) {
      state = newState(record);
      state.persisted = true;
      this.#store.add(state);
    }
    const before = cloneRecord(state.record);
    const now = Date.now();
    Object.assign(state.record, {
      attempt: 0,
      maxAttempts: definition.options.retries + 1,
      startedAt: null,
      finishedAt: null,
      duration: null,
      runAt: now,
      error: null,
      stack: null,
      result: null,
      progress: null,
      owner: this.#options.instanceId,
      requeueOnInterrupt: definition.options.requeueOnInterrupt,
    });
    state.record.logs.push({ at: now, message: `retried manually after ${before.status}` });
    this.#store.setStatus(state, 'pending');
    if (this.#flush) {
      const restore = () => {
        this.#store.setStatus(state, before.status);
        Object.assign(state.record, before);
      };
      const outcome = await this.#flush.require(state).catch((error: unknown) => {
        restore();
        throw error;
      });
      if (!outcome.stored) {
        restore();
        throw new InvalidStateError(
          `task ${id} cannot be retried: task ${outcome.existingId} now holds its idempotency key`,
        );
      }
    }
    this.#schedule(state);
    return id;
  }

  /**
   * Cancels a pending or running task of this instance. A running task's
   * `signal` aborts with `TaskCancelledError`; it is marked `cancelled` when
   * its function returns. Resolves to false when there was nothing to cancel.
   */
  async cancel(id: string): Promise<boolean> {
    const state = this.#store.get(id);
    if (!state) return false;
    const { record } = state;
    if (record.status === 'pending') {
      state.location = 'none';
      this.#finish(state, 'cancelled', Date.now());
      record.error = 'cancelled';
      this.emit('cancelled', record);
      this.#persist(state);
      return true;
    }
    if (record.status === 'running' && state.abortReason === null) {
      state.abortReason = 'cancel';
      state.interrupt?.(new TaskCancelledError(`task ${id} was cancelled`));
      return true;
    }
    return false;
  }

  /** This instance's live figures (synchronous, no I/O). */
  stats(): ManagerStats {
    const health = this.#flush?.health() ?? null;
    return {
      instanceId: this.instanceId,
      state: this.#state,
      running: this.#limiter.running,
      queued: this.#ready.size,
      delayed: this.#delayed.size,
      retained: this.#store.size,
      counts: { ...this.#store.counts },
      backend: health && {
        name: this.#options.backend!.name,
        ...health,
        healthy: health.healthy && this.#heartbeatHealthy,
        heartbeatHealthy: this.#heartbeatHealthy,
      },
    };
  }

  // ---------------------------------------------------------------- lifecycle

  async #start(): Promise<void> {
    if (this.#state !== 'idle') {
      throw new InvalidStateError(`the manager is ${this.#state}; a stopped manager cannot start again`);
    }
    this.#state = 'starting';
    const backend = this.#options.backend;
    if (backend) {
      try {
        await backend.open({ logger: this.#options.logger });
      } catch (error) {
        this.#state = 'idle';
        throw error instanceof BackendError ? error : new BackendError(backend.name, 'open', error);
      }
      try {
        await backend.heartbeat(this.instanceId, this.#options.leaseTtl, this.#meta());
        await this.#preload();
      } catch (error) {
        this.#state = 'idle';
        await backend.close().catch(() => {});
        throw error instanceof BackendError ? error : new BackendError(backend.name, 'start', error);
      }
      this.#flush = new FlushScheduler({
        backend,
        maxBatch: this.#options.maxBatch,
        maxInFlight: this.#options.maxWritesInFlight,
        interval: this.#options.snapshotInterval,
        onFlushed: (count, durationMs) => {
          // Records that just reached the store may now leave memory.
          this.#evict();
          this.emit('flushed', { count, durationMs });
        },
        onError: (error) => this.#reportBackendError(error),
      });
      this.#flush.start();
    }
    this.#state = 'running';
    if (backend) {
      await this.#recover();
      this.#heartbeatTimer = setInterval(() => void this.#heartbeat(), this.#options.heartbeatInterval);
      this.#heartbeatTimer.unref();
      this.#takeoverTimer = setInterval(() => void this.#recover(), this.#options.takeoverInterval);
      this.#takeoverTimer.unref();
    }
    for (const component of this.#components) await component.start();
  }

  async #stop(timeout: number): Promise<void> {
    if (this.#startPromise) await this.#startPromise.catch(() => {});
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    for (const component of this.#components.slice().reverse()) {
      await component.stop().catch((error: unknown) => {
        this.#options.logger.error('a component failed to stop', { error: errorOf(error).message });
      });
    }
    this.#state = 'stopping';
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    if (this.#takeoverTimer) clearInterval(this.#takeoverTimer);
    this.#delayed.stop();
    if (this.#recovering) await this.#recovering;
    await Promise.allSettled(this.#commits);
    if (this.#limiter.running > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise((resolve) => {
        timer = setTimeout(resolve, timeout);
      });
      await Promise.race([this.#idle(), grace]);
      clearTimeout(timer);
    }
    if (this.#limiter.running > 0) {
      for (const state of this.#store.values()) {
        if (state.record.status === 'running' && state.abortReason === null) {
          state.abortReason = 'shutdown';
          state.interrupt?.(new ShutdownError(`the manager stopped before task ${state.record.id} finished`));
        }
      }
      await this.#idle();
    }
    let flushError: unknown = null;
    const backend = this.#options.backend;
    if (this.#flush && backend) {
      // Unfinished tasks are saved as they are, so the next start (or another
      // instance, once this one's heartbeat is gone) picks them up.
      for (const state of this.#store.values()) {
        if (state.record.status === 'pending') this.#flush.markDirty(state);
      }
      try {
        await this.#flush.drain();
      } catch (error) {
        flushError = error;
        this.#options.logger.error('final flush failed; unsaved records are lost', {
          error: errorOf(error).message,
        });
      }
      await backend.removeInstance(this.instanceId).catch((error: unknown) => {
        this.#reportBackendError(new BackendError(backend.name, 'removeInstance', error));
      });
      await backend.close().catch((error: unknown) => {
        this.#reportBackendError(new BackendError(backend.name, 'close', error));
      });
    }
    this.#state = 'stopped';
    if (flushError) throw new BackendError(backend!.name, 'final flush', flushError);
  }

  async #preload(): Promise<void> {
    const backend = this.#options.backend!;
    if (this.#options.preload === 0) return;
    const query = normalizeQuery({ status: FINISHED_STATUSES, limit: this.#options.preload });
    const rows = await backend.query({ ...query, limit: this.#options.preload });
    for (let i = rows.length - 1; i >= 0; i--) {
      const record = rows[i]!;
      if (this.#store.get(record.id)) continue;
      const state = newState(record);
      state.persisted = true;
      this.#store.add(state);
    }
  }

  async #heartbeat(): Promise<void> {
    const backend = this.#options.backend!;
    try {
      await backend.heartbeat(this.instanceId, this.#options.leaseTtl, this.#meta());
      this.#heartbeatHealthy = true;
    } catch (error) {
      this.#heartbeatHealthy = false;
      this.#reportBackendError(new BackendError(backend.name, 'heartbeat', error));
    }
  }

  /** Claims unfinished work of dead instances until none is left; returns how many. */
  #recover(): Promise<number> {
    this.#recovering ??= this.#claimAll().finally(() => {
      this.#recovering = null;
    });
    return this.#recovering;
  }

  async #claimAll(): Promise<number> {
    const backend = this.#options.backend!;
    const limit = this.#options.maxBatch;
    let total = 0;
    while (this.#state === 'running' && this.#definitions.size > 0) {
      let claimed: TaskRecord[];
      try {
        claimed = await backend.claim({ instanceId: this.instanceId, names: this.taskNames, limit });
      } catch (error) {
        this.#reportBackendError(new BackendError(backend.name, 'claim', error));
        break;
      }
      for (const record of claimed) this.#adopt(record);
      total += claimed.length;
      if (claimed.length < limit) break;
    }
    if (total > 0)
      this.#options.logger.info(`took over ${total} unfinished task(s)`, { instanceId: this.instanceId });
    return total;
  }

  /** Takes a record claimed from the backend into memory and acts on it. */
  #adopt(record: TaskRecord): void {
    const known = this.#store.get(record.id);
    if (known) this.#store.delete(known);
    const state = newState(record);
    state.persisted = true;
    this.#store.add(state);
    if (record.status === 'pending') {
      this.#schedule(state);
    } else if (record.status === 'interrupted') {
      this.emit('interrupted', record);
      this.#evict();
    }
  }

  // ----------------------------------------------------------------- dispatch

  /** Stores a task before accepting it (durable mode, or to reserve an idempotency key). */
  async #acceptStored(state: TaskState, definition: TaskDefinition): Promise<string> {
    const { record } = state;
    // A task that may start now is stored as running: one write instead of two.
    const startNow = record.runAt <= Date.now() && this.#ready.size === 0 && this.#canStart(definition);
    if (startNow) this.#markRunning(state);
    let outcome: Awaited<ReturnType<FlushScheduler['require']>>;
    try {
      outcome = await this.#flush!.require(state);
    } catch (error) {
      this.#discard(state, startNow);
      throw error;
    }
    if (!outcome.stored) {
      this.#discard(state, startNow);
      return outcome.existingId;
    }
    this.emit('enqueued', record);
    if (startNow) this.#launch(state);
    else this.#schedule(state);
    return record.id;
  }

  /** Forgets a task that was never accepted. */
  #discard(state: TaskState, heldSlot: boolean): void {
    this.#store.delete(state);
    if (heldSlot) {
      this.#limiter.release(state.record.name);
      this.#pump();
    }
  }

  #schedule(state: TaskState): void {
    if (state.record.runAt > Date.now()) {
      this.#delayed.push(state);
    } else {
      this.#ready.push(state);
      this.#pump();
    }
  }

  #makeReady(state: TaskState): void {
    this.#ready.push(state);
    this.#pump();
  }

  #canStart(definition: TaskDefinition): boolean {
    return (
      this.#state === 'running' && this.#limiter.canStart(definition.name, definition.options.concurrency)
    );
  }

  #pump(): void {
    if (this.#state !== 'running') return;
    while (!this.#limiter.full && this.#ready.size > 0) {
      const state = this.#ready.next((name) => this.#canStart(this.#definitions.get(name)!));
      if (!state) return;
      this.#begin(state);
    }
  }

  #markRunning(state: TaskState): void {
    const { record } = state;
    this.#limiter.acquire(record.name);
    state.location = 'running';
    record.attempt++;
    record.startedAt = Date.now();
    record.finishedAt = null;
    record.duration = null;
    record.owner = this.#options.instanceId;
    this.#store.setStatus(state, 'running');
  }

  #begin(state: TaskState): void {
    this.#markRunning(state);
    if (!(this.#flush && state.persisted)) {
      this.#launch(state);
      return;
    }
    if (this.#options.durability !== 'durable') {
      this.#flush.markDirty(state);
      this.#launch(state);
      return;
    }
    // Durable: the running state is stored before the function runs, so a
    // crash can never make another instance run it a second time.
    const committed = this.#flush.require(state).then(
      () => this.#launch(state),
      () => {
        const { record } = state;
        this.#limiter.release(record.name);
        record.attempt--;
        record.startedAt = null;
        record.runAt = Date.now() + RUNNING_COMMIT_RETRY_MS;
        this.#store.setStatus(state, 'pending');
        state.location = 'none';
        if (this.#state === 'running') this.#delayed.push(state);
        this.#pump();
      },
    );
    this.#track(committed);
  }

  #track(promise: Promise<unknown>): void {
    this.#commits.add(promise);
    const forget = () => this.#commits.delete(promise);
    promise.then(forget, forget);
  }

  /** Runs the attempt on a later microtask, so `enqueue()` returns first. */
  #launch(state: TaskState): void {
    queueMicrotask(() => void this.#execute(state));
  }

  /** Resolves once no attempt runs (slots are held from start to settle). */
  #idle(): Promise<void> {
    if (this.#limiter.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #execute(state: TaskState): Promise<void> {
    const { record } = state;
    const definition = this.#definitions.get(record.name)!;
    if (state.abortReason !== null) {
      this.#settle(
        state,
        definition,
        false,
        state.abortReason === 'cancel' ? new TaskCancelledError('cancelled') : null,
      );
      return;
    }
    this.emit('started', record);
    const timeout = definition.options.timeout;
    let timer: NodeJS.Timeout | undefined;
    let ok = true;
    let value: unknown;
    try {
      value = await new Promise<unknown>((resolve, reject) => {
        // Timeout, cancel and shutdown end the attempt here, whether or not the
        // function listens to its signal; a late result is then ignored.
        state.interrupt = (reason) => {
          state.interrupt = null;
          state.controller?.abort(reason);
          reject(reason);
        };
        if (timeout !== null) {
          timer = setTimeout(() => {
            state.interrupt?.(new TaskTimeoutError(`task "${record.name}" timed out after ${timeout} ms`));
          }, timeout);
        }
        const returned = definition.fn(new AttemptContext(state, this.#contextHost), ...record.args);
        if (returned instanceof Promise) returned.then(resolve, reject);
        else resolve(returned);
      });
    } catch (error) {
      ok = false;
      value = error;
    } finally {
      clearTimeout(timer);
      state.interrupt = null;
      state.controller = null;
    }
    this.#settle(state, definition, ok, value);
  }

  #settle(state: TaskState, definition: TaskDefinition, ok: boolean, value: unknown): void {
    const { record } = state;
    const now = Date.now();
    record.duration = record.startedAt === null ? null : now - record.startedAt;
    this.#limiter.release(record.name);
    const reason = state.abortReason;
    state.abortReason = null;
    state.location = 'none';
    if (reason === 'shutdown') {
      this.#finish(state, 'interrupted', now);
      record.error = 'the instance stopped before the task finished';
      this.emit('interrupted', record);
    } else if (reason === 'cancel') {
      this.#finish(state, 'cancelled', now);
      record.error = 'cancelled';
      this.emit('cancelled', record);
    } else if (ok) {
      if (fitsAsResult(value, this.#options.maxResultBytes)) record.result = value;
      else if (value !== undefined) {
        record.logs.push({ at: now, message: 'result not stored: not JSON, or larger than maxResultBytes' });
      }
      record.error = null;
      record.stack = null;
      this.#finish(state, 'success', now);
      this.emit('success', record);
    } else {
      const { message, stack } = errorOf(value);
      record.error = message;
      record.stack = stack;
      if (record.attempt < record.maxAttempts && this.#state === 'running') {
        const delay = retryDelay(definition.options, record.attempt);
        record.runAt = now + delay;
        this.#store.setStatus(state, 'pending');
        this.emit('retrying', record, value, delay);
        this.#persist(state);
        this.#schedule(state);
      } else {
        this.#finish(state, 'failed', now);
        this.emit('failed', record, value);
      }
    }
    if (isFinished(record.status)) {
      this.#persist(state);
      this.#evict();
    }
    this.#pump();
    if (this.#limiter.running === 0 && this.#idleWaiters.length > 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #finish(state: TaskState, status: TaskStatus, now: number): void {
    state.record.finishedAt = now;
    this.#store.setStatus(state, status);
  }

  /** Sends a changed record towards the backend with the urgency its change deserves. */
  #persist(state: TaskState): void {
    const flush = this.#flush;
    if (!flush) return;
    const { status } = state.record;
    if (
      status === 'success' ||
      status === 'failed' ||
      (state.persisted && this.#options.durability === 'durable')
    ) {
      flush.flushSoon(state);
    } else if (isFinished(status) || state.persisted) {
      flush.markDirty(state);
    }
  }

  #evict(): void {
    const flush = this.#flush;
    this.#store.evict(flush ? (state) => !flush.isPending(state) : () => true);
  }

  // ------------------------------------------------------------------ helpers

  #meta(): Record<string, unknown> {
    return {
      pid: process.pid,
      node: process.version,
      durability: this.#options.durability,
      ...this.#extraMeta,
    };
  }

  #reportBackendError(error: BackendError): void {
    this.#options.logger.warn(error.message, { operation: error.operation });
    this.emit('backendError', error);
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const backend = this.#options.backend!;
    try {
      return await call();
    } catch (error) {
      throw error instanceof BackendError ? error : new BackendError(backend.name, operation, error);
    }
  }
}
