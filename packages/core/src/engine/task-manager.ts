import type { InstanceInfo, Logger, SnapshotBackend } from '../backend/backend.js';
import type { ReencryptOptions, ReencryptReport } from '../encryption/reencrypt.js';
import { type TaskEvents, TypedEmitter } from '../events.js';
import type { SeriesWindow } from '../model/aggregate.js';
import type { StatusCounts, TaskPage, TaskQuery } from '../model/task-query.js';
import type { TaskRecord } from '../model/task-record.js';
import {
  type EnqueueOptions,
  type ManagerOptions,
  resolveManagerOptions,
  type TaskOptions,
} from '../options/index.js';
import type { ObservabilityOptions } from '../options/observability-options.js';
import type { ThreadTaskOptions } from '../threads/thread-task.js';
import { type BulkItem, submitMany } from './bulk.js';
import {
  type DeadLetterFilter,
  type DeadLetterQuery,
  deadLetters,
  type ReplayOptions,
  type ReplayResult,
  replay,
} from './dead-letters.js';
import { Engine } from './engine.js';
import { type Overview, overview, type Series, series } from './insights.js';
import type { InstanceHealth } from './instance-health.js';
import { ManagerExtras, wrapBackend } from './manager-extras.js';
import type { Middleware } from './middleware.js';
import { changeQueue } from './queue-control.js';
import type { QueueView } from './queues.js';
import type { ManagerState } from './runtime.js';
import { type StopOnSignalsOptions, stopOnSignals } from './stop-on-signals.js';
import { type DeclaredTasks, makeHandle, type TaskHandles } from './task-handle.js';
import { type TestingHelpers, testingHelpers } from './testing-mode.js';
import type { ArgsFor, RequireJsonParameters, TaskFunction, TaskMap, TaskName } from './typed-tasks.js';
import type { ManagerComponent, ManagerStats, StopOptions, Submission, TaskHandle } from './types.js';

/** Options of `TaskManager`, with the tasks it declares up front (typed by name). */
export interface TaskManagerOptions<Tasks extends TaskMap> extends ManagerOptions, ObservabilityOptions {
  /**
   * Tasks declared with the manager, by name (each made with `task()`):
   * `manager.enqueue(name, args)` then checks both the name and the
   * arguments, and `manager.tasks.<name>` is each task's typed handle.
   */
  tasks?: DeclaredTasks<Tasks>;
}

/**
 * Runs background tasks inside this process, with retries, a tracked
 * lifecycle, optional persistence, crash recovery and idempotency keys.
 *
 * ```ts
 * const manager = new TaskManager({
 *   backend: new SqliteBackend({ path: './data/tasks.db' }),
 *   tasks: { sendEmail: task(async (ctx, to: string) => { ... }, { retries: 3 }) },
 * });
 * await manager.start();
 * const id = await manager.enqueue('sendEmail', ['ada@example.com']); // name and args checked
 * ```
 */
// biome-ignore lint/complexity/noBannedTypes: {} means "no tasks declared up front": enqueue then takes any name
export class TaskManager<Tasks extends TaskMap = {}> extends TypedEmitter<TaskEvents> {
  readonly #engine: Engine;
  readonly #extras: ManagerExtras;
  /** Typed handles of the tasks declared with the manager (`options.tasks`). */
  readonly tasks: TaskHandles<Tasks>;

  constructor(options: TaskManagerOptions<Tasks> = {}) {
    super();
    const { tasks, observers, encryption, tracing, threads, ...rest } = options;
    rest.backend = wrapBackend(rest.backend, encryption);
    this.#engine = new Engine(resolveManagerOptions(rest), (event, ...args) => this.emit(event, ...args));
    this.#extras = new ManagerExtras(this, this.#engine, { observers, tracing, threads });
    const handles: Record<string, TaskHandle<unknown[], unknown>> = {};
    for (const [name, declared] of Object.entries(tasks ?? {})) {
      // A function, or a module URL of a thread task: define() tells them apart.
      handles[name] = this.define(name, declared.fn as TaskFunction<unknown[], unknown>, declared.options);
    }
    this.tasks = handles as TaskHandles<Tasks>;
    this.setListenerErrorHandler((error, event) =>
      this.#engine.options.logger.error(`a listener of "${event}" threw`, {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }

  /** This instance's id, as written in records and heartbeats. */
  get instanceId(): string {
    return this.#engine.options.instanceId;
  }

  /** Where the manager is in its lifecycle. */
  get state(): ManagerState {
    return this.#engine.lifecycle.state;
  }

  /** The backend given at construction, or null (memory only). */
  get backend(): SnapshotBackend | null {
    return this.#engine.backend;
  }

  /** The logger the manager reports to (components such as a dashboard log there too). */
  get logger(): Logger {
    return this.#engine.options.logger;
  }

  /** Names of the defined tasks. */
  get taskNames(): string[] {
    return [...this.#engine.definitions.keys()];
  }

  /**
   * Registers a task function under `name` and returns its typed handle.
   * Its parameters must be JSON values (checked when it compiles, and again
   * at enqueue). Define every task before `start()`, so recovery can run it.
   */
  define<A extends unknown[], R>(
    name: string,
    fn: TaskFunction<A, R> & RequireJsonParameters<A>,
    options?: TaskOptions,
  ): TaskHandle<A, R>;
  /**
   * Registers a CPU-bound task whose module runs in a pool of worker threads
   * (piscina, an optional peer): its default export `(ctx, ...args)` gets a
   * `ctx` whose `log()` and `progress()` arrive here live; a timeout or
   * `cancel()` terminates the thread. Type the arguments and result with
   * `define<[string, number], Result>(...)`.
   *
   * ```ts
   * manager.define('resize', new URL('./resize.js', import.meta.url), { thread: true, timeout: 30_000 });
   * ```
   */
  define<A extends unknown[] = unknown[], R = unknown>(
    name: string,
    module: URL,
    options: ThreadTaskOptions,
  ): TaskHandle<A, R>;
  define<A extends unknown[], R>(
    name: string,
    fn: TaskFunction<A, R> | URL,
    options?: TaskOptions | ThreadTaskOptions,
  ): TaskHandle<A, R> {
    const [run, taskOptions] = fn instanceof URL ? this.#extras.threadTask(name, fn, options) : [fn, options];
    this.#engine.define(name, run, taskOptions);
    return makeHandle<A, R>(this.#engine, name);
  }

  /**
   * Enqueues one run of a defined task and resolves to its id. Arguments
   * must round-trip through JSON (`InvalidArgumentsError` otherwise). With
   * an idempotency key that a task already holds, resolves to that task's id.
   * In durable mode it resolves only once the task is stored.
   */
  async enqueue<N extends TaskName<Tasks>>(
    name: N,
    args?: ArgsFor<Tasks, N>,
    options?: EnqueueOptions,
  ): Promise<string> {
    return (await this.#engine.submit(name, (args as unknown[]) ?? [], options ?? {})).id;
  }

  /** As `enqueue()`, and says whether a task already holding the idempotency key answered instead (`deduplicated`). */
  submit<N extends TaskName<Tasks>>(
    name: N,
    args?: ArgsFor<Tasks, N>,
    options?: EnqueueOptions,
  ): Promise<Submission> {
    return this.#engine.submit(name, (args as unknown[]) ?? [], options ?? {});
  }

  /**
   * Opens the backend, registers this instance, loads recent history and
   * takes over the unfinished tasks of stopped or dead instances (pending
   * ones run again; interrupted ones only when `requeueOnInterrupt`).
   */
  async start(): Promise<void> {
    await this.#extras.prepare();
    return this.#engine.lifecycle.start();
  }

  /**
   * Stops taking work, lets running tasks finish for up to `timeout` ms,
   * interrupts the rest, saves every unfinished task for the next start
   * (or for another instance), performs a final flush and closes the
   * backend. Returns within `timeout` + 4 s whatever the store does; what
   * could not be saved by then is reported (`unsaved` event, logger).
   */
  async stop(options: StopOptions = {}): Promise<void> {
    await this.#engine.lifecycle.stop(options.timeout ?? 10_000);
    await this.#extras.close();
  }

  /**
   * Stops the manager on SIGTERM / SIGINT the way a server should: closes
   * `server` (no new connections; requests in flight finish), stops the
   * manager within `timeout`, then exits the process (0 when clean). A
   * second signal exits at once. Returns a function that removes the handlers.
   *
   * ```ts
   * const server = app.listen(3000);
   * manager.stopOnSignals({ server });
   * ```
   */
  stopOnSignals(options: StopOnSignalsOptions = {}): () => void {
    const log = (message: string, fields?: Record<string, unknown>) => this.logger.info(message, fields);
    return stopOnSignals((timeout) => this.stop({ timeout }), log, options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Builds the pending record `enqueue()` would store, with this manager's
   * defaults and checks (`InvalidArgumentsError`, `InvalidOptionError`),
   * without enqueueing it. For components that store tasks themselves.
   */
  createRecord(name: string, args: unknown[] = [], options: EnqueueOptions = {}): TaskRecord {
    return this.#engine.createRecord(name, args, options);
  }

  /** Starts `component` with the manager (at once if it already runs) and stops it before the manager stops taking work. */
  attach(component: ManagerComponent): Promise<void> {
    return this.#engine.lifecycle.attach(component);
  }

  /** Adds fields to the metadata this instance publishes with its heartbeat (`instances()`). */
  setInstanceMeta(fields: Record<string, unknown>): void {
    Object.assign(this.#engine.extraMeta, fields);
    this.#engine.coordinator?.publishMeta();
  }

  /**
   * Runs a pending task record that a component stored itself, owned by this
   * instance (the scheduler stores a tick's run together with the tick).
   * The record's task name must be defined here.
   */
  adoptStored(record: TaskRecord): void {
    this.#engine.adoptStored(record);
  }

  /** A task by id: from memory, else from the backend. Undefined when unknown. */
  get(id: string): Promise<TaskRecord | undefined> {
    return this.#engine.get(id);
  }

  /** Records held in memory (recent history and every unfinished task), filtered and paged. */
  list(query: TaskQuery = {}): TaskPage {
    return this.#engine.list(query);
  }

  /** History from the backend (memory without one), filtered and paged, newest first. */
  query(query: TaskQuery = {}): Promise<TaskPage> {
    return this.#engine.query(query);
  }

  /** Per-status totals from the backend (memory without one). */
  counts(query: Omit<TaskQuery, 'limit' | 'cursor'> = {}): Promise<StatusCounts> {
    return this.#engine.counts(query);
  }

  /**
   * Instances sharing the backend (just this one without a backend), from
   * their heartbeats, each `live`, `quiet` (its heartbeat lapsed less than a
   * lease ago) or `stopped`.
   */
  instances(): Promise<Array<InstanceInfo & { health: InstanceHealth }>> {
    return this.#engine.instances();
  }

  /**
   * Runs a failed, interrupted, cancelled or rejected task again under the
   * same id, with fresh attempts. Resolves to the id.
   */
  retry(id: string): Promise<string> {
    return this.#engine.retry(id);
  }

  /** Dead letters: tasks that failed their last attempt, newest first, a page as `query()` gives. */
  deadLetters(query: DeadLetterQuery = {}): Promise<TaskPage> {
    return deadLetters(this.#engine, query);
  }

  /**
   * Re-runs dead letters (ids, or a `deadLetters()` filter) through the retry path: same id,
   * fresh attempts, earlier logs kept; each gets a log line (who, when, previous attempts and
   * error) and the tag `replayedBy`. Ids that are not failed tasks are skipped, with why.
   */
  replay(target: readonly string[] | DeadLetterFilter, options: ReplayOptions = {}): Promise<ReplayResult> {
    return replay(this.#engine, target, options);
  }

  /**
   * Key rotation: once `encryption.current` names a new key, rewrites finished history sealed
   * with older keys with it, in batches. Keep the older keys until a run reports `skipped`,
   * `unfinished` and `jobs` all 0 (README, "Encryption at rest").
   */
  reencrypt(options: ReencryptOptions = {}): Promise<ReencryptReport> {
    return this.#extras.reencrypt(options);
  }

  /**
   * Cancels a pending or running task of this instance. A running task's
   * `signal` aborts with `TaskCancelledError`; it is marked `cancelled` when
   * its function returns. Resolves to false when there was nothing to cancel.
   */
  cancel(id: string): Promise<boolean> {
    return this.#engine.cancel(id);
  }

  /**
   * Resolves with the task's return value once it succeeds, or rejects with
   * its final error (`TaskFailedError`, `TaskCancelledError`), whichever
   * instance runs it; `ResultTimeoutError` after `timeout` ms (the task
   * keeps running). One watcher per manager serves every waiter.
   */
  result(id: string, options: { timeout?: number } = {}): Promise<unknown> {
    return this.#engine.result(id, options.timeout ?? null);
  }

  /**
   * Enqueues many runs of one task at once: every item (`[args, options?]`)
   * is checked first (nothing is accepted if one is invalid or they do not
   * fit the queue), all are stored in one write when they must be stored,
   * and each keeps its own idempotency key. Resolves with the ids in order.
   */
  async enqueueMany<N extends TaskName<Tasks>>(
    name: N,
    items: ReadonlyArray<BulkItem<ArgsFor<Tasks, N>>>,
  ): Promise<string[]> {
    return (await submitMany(this.#engine, name, items as ReadonlyArray<BulkItem>)).map((s) => s.id);
  }

  /** Adds code around every enqueue and every attempt, in registration order. */
  use(middleware: Middleware): this {
    this.#engine.middleware.use(middleware);
    return this;
  }

  /**
   * Pauses a queue on every instance sharing the store (within a
   * heartbeat), across restarts: its tasks wait until `resumeQueue()`.
   */
  pauseQueue(name: string): Promise<QueueView> {
    return changeQueue(this.#engine, name, { paused: true });
  }

  /** Resumes a paused queue on every instance (a stored change, as `pauseQueue`). */
  resumeQueue(name: string): Promise<QueueView> {
    return changeQueue(this.#engine, name, { paused: false });
  }

  /** Changes a queue's per-instance concurrency on every instance (null: as declared). */
  setQueueConcurrency(name: string, concurrency: number | null): Promise<QueueView> {
    return changeQueue(this.#engine, name, { concurrency });
  }

  /** Clears every stored change of a queue: the code's declaration applies again. */
  resetQueue(name: string): Promise<QueueView> {
    return changeQueue(this.#engine, name, { paused: null, concurrency: null, globalConcurrency: null });
  }

  /** Every declared or changed queue, as it applies now. */
  queues(): QueueView[] {
    return this.#engine.queues.views();
  }

  /**
   * Deletes finished records past their retention now (it also runs every
   * `retentionInterval`, one instance at a time); resolves with how many.
   */
  runRetention(): Promise<number> {
    return this.#engine.retention?.run() ?? Promise.resolve(0);
  }

  /** For unit tests with `testing: 'inline'`: the enqueued records, and a drain. */
  get testing(): TestingHelpers {
    return testingHelpers(this.#engine);
  }

  /** This instance's live figures (synchronous, no I/O). */
  stats(): ManagerStats {
    return this.#engine.stats();
  }

  /**
   * The whole fleet's history charts from the store: finished tasks per
   * status per bucket over the last `1h` (1-minute buckets), `24h` (1 h) or
   * `7d` (6 h), and p50/p95 durations per task name.
   */
  series(options: { window?: SeriesWindow } = {}): Promise<Series> {
    return series(this.#engine, options.window ?? '1h');
  }

  /** Totals, last hour's throughput and success rate, oldest pending age, instances and store health. */
  overview(): Promise<Overview> {
    return overview(this.#engine);
  }
}
