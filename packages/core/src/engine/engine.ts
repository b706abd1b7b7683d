import type { InstanceInfo, SnapshotBackend } from '../backend/backend.js';
import { Coordinator } from '../coordination/coordinator.js';
import { FleetWake } from '../coordination/fleet-wake.js';
import { RetentionLoop } from '../coordination/retention.js';
import { BackendError } from '../errors/backend-error.js';
import { DuplicateTaskError } from '../errors/duplicate-task-error.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { InvalidStateError } from '../errors/invalid-state-error.js';
import { LeaseLostError } from '../errors/lease-lost-error.js';
import { QueryRefusedError } from '../errors/query-refused-error.js';
import { UnknownTaskError } from '../errors/unknown-task-error.js';
import { RecordCache } from '../memory/record-cache.js';
import { countRecords, normalizeQuery, queryRecords, toPage } from '../model/query-filter.js';
import type { StatusCounts, TaskPage, TaskQuery } from '../model/task-query.js';
import { cloneRecord, type TaskRecord } from '../model/task-record.js';
import {
  type EnqueueOptions,
  type ResolvedManagerOptions,
  resolveTaskOptions,
  type TaskOptions,
} from '../options/index.js';
import { Persistence } from '../persistence/persistence.js';
import { acceptStored } from './accept.js';
import { AttemptRunner } from './attempt-runner.js';
import { Dispatcher } from './dispatcher.js';
import { type InstanceHealth, instanceHealth } from './instance-health.js';
import { Lifecycle } from './lifecycle.js';
import { MiddlewareChain } from './middleware.js';
import { buildRecord } from './new-record.js';
import { QueueLimits } from './queue-control.js';
import { QueueRegistry } from './queues.js';
import { ResultWaiters } from './results.js';
import type { Emit, Runtime } from './runtime.js';
import { cancelPending, cancelTask, retryTask } from './task-control.js';
import { newState, type TaskDefinition, type TaskState } from './task-state.js';
import type { ManagerStats, Submission } from './types.js';

/** Events after which a task may be final: result waiters are told. */
const ENDINGS = new Set(['success', 'failed', 'cancelled', 'interrupted', 'lost']);

/**
 * One manager's parts, wired together, and the operations the public API
 * delegates to. `TaskManager` is only the typed facade in front of it.
 */
export class Engine {
  readonly options: ResolvedManagerOptions;
  readonly runtime: Runtime;
  readonly definitions = new Map<string, TaskDefinition>();
  readonly cache: RecordCache;
  readonly persistence: Persistence;
  readonly dispatcher: Dispatcher;
  readonly runner: AttemptRunner;
  readonly coordinator: Coordinator | null;
  readonly lifecycle: Lifecycle;
  readonly results: ResultWaiters;
  readonly retention: RetentionLoop | null;
  readonly middleware = new MiddlewareChain();
  readonly queues: QueueRegistry;
  readonly #limits: QueueLimits;
  readonly fleet: FleetWake | null;
  readonly extraMeta: Record<string, unknown> = {};

  constructor(options: ResolvedManagerOptions, emit: Emit) {
    this.options = options;
    this.cache = new RecordCache(options.maxRecords);
    const runtime: Runtime = {
      options,
      instanceId: options.instanceId,
      definitions: this.definitions,
      cache: this.cache,
      emit: (event, ...args) => {
        emit(event, ...args);
        // Waiters for a result hear of a task that ended here at once.
        if (ENDINGS.has(event)) this.results.changed(args[0] as TaskRecord);
      },
      state: () => this.lifecycle.state,
    };
    this.runtime = runtime;
    const backend = options.backend;
    this.persistence = new Persistence(runtime, backend, {
      lost: (state, reason) => this.#lose(state, reason),
    });
    this.runner = new AttemptRunner(runtime, this.persistence, () => this.dispatcher, this.middleware);
    this.queues = new QueueRegistry(options.queues);
    this.#limits = new QueueLimits(this);
    this.dispatcher = new Dispatcher(runtime, this.persistence, this.queues, {
      launch: (state) => this.runner.launch(state),
      mayStart: () => this.coordinator?.leaseValid() ?? true,
      capacityFreed: () => this.coordinator?.capacityFreed(),
      expire: (state) => this.#expire(state),
    });
    this.coordinator = backend
      ? new Coordinator(runtime, backend, {
          dispatcher: this.dispatcher,
          runner: this.runner,
          persistence: this.persistence,
          meta: () => ({ durability: options.durability, runTasks: options.runTasks, ...this.extraMeta }),
          cancelRequested: (ids) => {
            for (const id of ids) void this.cancel(id);
          },
          cancelClaimed: (state) => cancelPending(this.runtime, this, state),
          queues: (overrides) => {
            if (this.queues.applyAll(overrides)) this.dispatcher.pump();
          },
          pausedQueues: () => this.queues.paused(),
        })
      : null;
    this.fleet = backend ? new FleetWake(backend, () => void this.coordinator?.recover()) : null;
    this.results = new ResultWaiters(backend, (id) => this.cache.get(id)?.record, options.pollInterval);
    this.retention = backend
      ? new RetentionLoop(backend, options, (error) =>
          this.persistence.report(
            error instanceof BackendError ? error : new BackendError(backend.name, 'purge', error),
          ),
        )
      : null;
    this.lifecycle = new Lifecycle(runtime, backend, {
      persistence: this.persistence,
      dispatcher: this.dispatcher,
      runner: this.runner,
      coordinator: this.coordinator,
      onStarted: () => this.retention?.start(),
      beforeFlush: async () => this.retention?.stop(),
      onStopped: () => {
        this.fleet?.stop();
        this.results.stop(new InvalidStateError('the manager stopped before the task finished here'));
      },
    });
  }

  get backend(): SnapshotBackend | null {
    return this.options.backend;
  }

  define(name: string, fn: TaskDefinition['fn'], options: TaskOptions | undefined): void {
    if (typeof name !== 'string' || name === '' || name.length > 255) {
      throw new InvalidOptionError('define: name must be a string of 1 to 255 characters');
    }
    if (typeof fn !== 'function') throw new InvalidOptionError(`define("${name}"): fn must be a function`);
    if (this.definitions.has(name)) throw new DuplicateTaskError(`a task named "${name}" is already defined`);
    const resolved = resolveTaskOptions(options, this.options.taskDefaults, `define("${name}")`);
    this.definitions.set(name, { name, fn, options: resolved });
  }

  /** Accepts one task: its id, and whether a task already holding its idempotency key answered instead. */
  async submit(name: string, args: unknown[], options: EnqueueOptions): Promise<Submission> {
    if (this.options.testing === 'inline' && this.lifecycle.state === 'idle') await this.lifecycle.start();
    this.assertRunning();
    const record = buildRecord(this.runtime, name, args, options);
    const shared = this.#shared(name);
    if (shared) record.owner = null;
    const submitted = await this.middleware.enqueue(record, () => this.#accept(record, shared));
    // Inline testing: enqueue() resolves once the task has finished.
    if (this.options.testing === 'inline') await this.results.wait(submitted.id, null).catch(() => {});
    return submitted;
  }

  /** Throws unless the manager takes new tasks. */
  assertRunning(): void {
    const state = this.lifecycle.state;
    if (state !== 'running') {
      throw new InvalidStateError(
        state === 'idle' || state === 'starting'
          ? 'call and await manager.start() before enqueueing'
          : `the manager is ${state} and takes no new tasks`,
      );
    }
  }

  /** Accepts one built record: deduplicated, refused by a full queue, stored first, or scheduled. */
  async #accept(record: TaskRecord, shared: boolean): Promise<Submission> {
    const key = record.idempotencyKey;
    if (key) {
      const holder = this.cache.keyHolder(key);
      if (holder) return { id: await (holder.accepted ?? holder.record.id), deduplicated: true };
    }
    const task = newState(record);
    const full = this.#limits.check(task, shared);
    if (full) await full;
    this.cache.add(task);
    if (shared || this.persistence.storesFirst(task)) {
      const accepted = acceptStored(
        this.runtime,
        this.persistence,
        this.dispatcher,
        task,
        shared ? this.#toFleet : null,
      );
      task.accepted = accepted;
      const id = await accepted;
      return { id, deduplicated: id !== record.id };
    }
    this.runtime.emit('enqueued', record);
    this.dispatcher.schedule(task);
    return { id: record.id, deduplicated: false };
  }

  /** Unowned work was stored: wake the fleet (this instance included) now, or when it becomes due. */
  readonly #toFleet = (stored: TaskRecord) => this.fleet!.stored(stored.runAt);

  /** Whether new tasks of `name` go to the fleet (see `#shared`). */
  sharedFor(name: string): boolean {
    return this.#shared(name);
  }

  /** Checks `maxSize` of a queue for a task about to be accepted (see `QueueLimits`). */
  checkLimits(task: TaskState, shared: boolean): Promise<void> | undefined {
    return this.#limits.check(task, shared);
  }

  /**
   * Whether a new task of `name` goes to the fleet (stored unowned) rather
   * than running here: a producer-only instance, `dispatch: 'shared'`, or a
   * local backlog past `maxLocalBacklog`.
   */
  #shared(name: string): boolean {
    const { options } = this;
    if (!options.backend) return false;
    if (!options.runTasks) return true;
    const dispatch = this.definitions.get(name)?.options.dispatch ?? options.dispatch;
    return (
      dispatch === 'shared' || this.dispatcher.queued + this.dispatcher.delayed >= options.maxLocalBacklog
    );
  }

  /** The pending record `submit()` would store, checked, without storing it. */
  createRecord(name: string, args: unknown[], options: EnqueueOptions): TaskRecord {
    return buildRecord(this.runtime, name, args, options);
  }

  /** Runs a pending record a component stored itself (the scheduler's tick runs). */
  adoptStored(record: TaskRecord): void {
    if (this.lifecycle.state !== 'running')
      throw new InvalidStateError(`the manager is ${this.lifecycle.state}`);
    if (!this.definitions.has(record.name))
      throw new UnknownTaskError(`no task named "${record.name}" is defined`);
    if (record.owner !== this.options.instanceId || record.status !== 'pending') {
      throw new InvalidStateError('adoptStored() takes a pending record owned by this instance');
    }
    const state = newState(record);
    this.persistence.adopted(state);
    this.cache.add(state);
    this.runtime.emit('enqueued', record);
    this.dispatcher.schedule(state);
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    const state = this.cache.get(id);
    if (state) return cloneRecord(state.record);
    const backend = this.options.backend;
    if (!backend || this.lifecycle.state !== 'running') return undefined;
    return (await this.call('get', () => backend.get(id))) ?? undefined;
  }

  list(query: TaskQuery): TaskPage {
    const normalized = normalizeQuery(query);
    const page = toPage(queryRecords(this.cache.records(), normalized), normalized);
    return { records: page.records.map(cloneRecord), nextCursor: page.nextCursor };
  }

  async query(query: TaskQuery): Promise<TaskPage> {
    const backend = this.options.backend;
    if (!backend) return this.list(query);
    const normalized = normalizeQuery(query);
    await this.persistence.caughtUp();
    return toPage(await this.call('query', () => backend.query(normalized)), normalized);
  }

  async counts(query: Omit<TaskQuery, 'limit' | 'cursor'>): Promise<StatusCounts> {
    const backend = this.options.backend;
    const unfiltered = Object.values(query).every((value) => value === undefined);
    if (!backend && unfiltered) return { ...this.cache.counts };
    const normalized = normalizeQuery(query);
    if (!backend) return countRecords(this.cache.records(), normalized);
    await this.persistence.caughtUp();
    return this.call('counts', () => backend.counts(normalized));
  }

  /** Instances sharing the store, each with how its heartbeat looks now. */
  async instances(now = Date.now()): Promise<Array<InstanceInfo & { health: InstanceHealth }>> {
    const backend = this.options.backend;
    const rows = backend
      ? await this.call('instances', () => backend.instances())
      : [
          {
            id: this.options.instanceId,
            expiresAt: Number.POSITIVE_INFINITY,
            startedAt: 0,
            meta: { ...this.extraMeta },
          },
        ];
    return rows.map((instance) => ({
      ...instance,
      health: instanceHealth(instance, now, this.options.leaseTtl),
    }));
  }

  /** `annotate` changes the retried record before it is stored (a replay notes who asked). */
  async retry(id: string, annotate?: (record: TaskRecord) => void): Promise<string> {
    if (this.lifecycle.state !== 'running')
      throw new InvalidStateError(`the manager is ${this.lifecycle.state}`);
    const backend = this.options.backend;
    const stored = this.cache.get(id) || !backend ? null : await this.call('get', () => backend.get(id));
    const name = (this.cache.get(id)?.record ?? stored)?.name;
    // A task this instance would not run itself goes back to the fleet, unowned.
    const shared =
      name !== undefined && backend !== null && (!this.definitions.has(name) || this.#shared(name));
    if (name !== undefined && !shared && !this.definitions.has(name)) {
      throw new UnknownTaskError(`no task named "${name}" is defined in this instance`);
    }
    const retried = await retryTask(this.runtime, this, id, stored, shared, annotate);
    if (shared) this.fleet?.stored(Date.now());
    return retried;
  }

  /** Cancels here when the task is this instance's; otherwise through the store, for its owner to act on. */
  async cancel(id: string): Promise<boolean> {
    const local = this.cache.get(id);
    if (local && !local.lost && (local.record.status === 'pending' || local.record.status === 'running')) {
      return cancelTask(this.runtime, this, id);
    }
    // Finished here: whatever the store says until its final write lands, there is nothing to cancel.
    if (local && !local.lost && local.record.status !== 'pending' && local.record.status !== 'running') {
      return false;
    }
    const backend = this.options.backend;
    if (!backend) return false;
    const outcome = await this.call('cancel', () => backend.cancel(id));
    return outcome === 'cancelled' || outcome === 'requested';
  }

  /** The task's return value, or its final error, whichever instance runs it. */
  result(id: string, timeout: number | null): Promise<unknown> {
    return this.results.wait(id, timeout);
  }

  stats(): ManagerStats {
    const health = this.persistence.health();
    const coordinator = this.coordinator;
    const heartbeatHealthy = coordinator?.heartbeatHealthy ?? true;
    const leaseValid = coordinator === null || this.lifecycle.state !== 'running' || coordinator.leaseValid();
    return {
      instanceId: this.options.instanceId,
      state: this.lifecycle.state,
      running: this.dispatcher.running,
      queued: this.dispatcher.queued,
      delayed: this.dispatcher.delayed,
      retained: this.cache.size,
      counts: { ...this.cache.counts },
      backend: health && {
        name: this.options.backend!.name,
        ...health,
        healthy: health.healthy && heartbeatHealthy && leaseValid,
        heartbeatHealthy,
        leaseValid,
      },
    };
  }

  /** Runs a store call, any failure as a `BackendError` naming the operation. */
  async call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // A refused query is the caller's mistake, not a store failure: it keeps its own type.
      throw error instanceof BackendError || error instanceof QueryRefusedError
        ? error
        : new BackendError(this.options.backend!.name, operation, error);
    }
  }

  /** Not started before its deadline: `expired`, never run late. */
  #expire(state: TaskState): void {
    const { record } = state;
    record.finishedAt = Date.now();
    record.error = 'not started before its deadline (expiresIn)';
    this.cache.setStatus(state, 'expired');
    this.runtime.emit('expired', record);
    this.persistence.persist(state);
    this.persistence.evict();
  }

  /** The store says another instance owns this task now. */
  #lose(state: TaskState, reason: string): void {
    const { record } = state;
    this.options.logger.warn(`task ${record.id} is lost to another instance: ${reason}`, {
      taskId: record.id,
    });
    if (record.status === 'running' && state.location === 'running') {
      record.error = reason;
      this.runner.interrupt(state, 'lost', new LeaseLostError(reason));
    } else if (record.status === 'pending') {
      this.dispatcher.remove(state);
      record.finishedAt = Date.now();
      record.error = reason;
      this.cache.setStatus(state, 'interrupted');
    }
    this.runtime.emit('lost', record, reason);
  }
}
