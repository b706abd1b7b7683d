import type { SnapshotBackend } from '../backend/backend.js';
import { EncryptedBackend } from '../encryption/encrypted-backend.js';
import type { ReencryptOptions, ReencryptReport } from '../encryption/reencrypt.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { InvalidStateError } from '../errors/invalid-state-error.js';
import { MissingPeerError } from '../errors/missing-peer-error.js';
import type { TaskEvents } from '../events.js';
import { attachObservers, checkObservers } from '../observe/observer.js';
import type { TaskOptions } from '../options/index.js';
import type { ObservabilityOptions } from '../options/observability-options.js';
import { assertPiscinaInstalled, ThreadPool } from '../threads/thread-pool.js';
import { type ThreadTaskOptions, threadTask } from '../threads/thread-task.js';
import { loadOtel, otelMiddleware } from '../tracing/otel-tracing.js';
import type { Engine } from './engine.js';
import type { TaskDefinition } from './task-state.js';

/** What the extras listen to: the manager's `on`. */
interface EventSource {
  on<E extends keyof TaskEvents>(event: E, listener: TaskEvents[E]): unknown;
}

/**
 * Read by `@errand/core/metrics` (a separate bundle, hence a registered
 * symbol): this instance's pending tasks that the store does not hold yet
 * (snapshot mode keeps local work in memory until it ends), per queue.
 * Not public API.
 */
export const UNSAVED_PENDING = Symbol.for('errand.unsavedPending');

/** Per queue: how many pending tasks only this instance knows of, and the oldest one's `createdAt`. */
export type UnsavedPending = Map<string, { count: number; oldest: number }>;

function unsavedPending(engine: Engine): UnsavedPending {
  const queues: UnsavedPending = new Map();
  for (const state of engine.cache.values()) {
    const { record } = state;
    if (record.status !== 'pending' || state.persisted || state.lost) continue;
    const entry = queues.get(record.queue);
    if (entry) {
      entry.count++;
      entry.oldest = Math.min(entry.oldest, record.createdAt);
    } else {
      queues.set(record.queue, { count: 1, oldest: record.createdAt });
    }
  }
  return queues;
}

/** The backend the engine gets: behind encryption when the option asks for it. */
export function wrapBackend(
  backend: SnapshotBackend | undefined,
  encryption: ObservabilityOptions['encryption'],
): SnapshotBackend | undefined {
  if (encryption === undefined) return backend;
  if (!backend) throw new InvalidOptionError('encryption needs a backend: without one nothing is stored');
  return new EncryptedBackend(backend, encryption);
}

/**
 * The parts of a manager around the engine: observers, OpenTelemetry
 * tracing, the worker-thread pool and re-encryption. Each costs nothing
 * unless its option is given (tracing: unless `@opentelemetry/api` is
 * installed).
 */
export class ManagerExtras {
  readonly #engine: Engine;
  readonly #closeObservers: () => Promise<void>;
  readonly #tracing: boolean | undefined;
  #threads: ThreadPool | null;
  #tracingReady: Promise<void> | null = null;
  /** For tests: how `@opentelemetry/api` is imported. */
  loadOtel: () => Promise<unknown> = () => import('@opentelemetry/api');

  constructor(source: EventSource, engine: Engine, options: ObservabilityOptions) {
    this.#engine = engine;
    Object.defineProperty(source, UNSAVED_PENDING, { value: () => unsavedPending(engine) });
    this.#closeObservers = attachObservers(source, checkObservers(options.observers), engine.options.logger);
    if (options.tracing !== undefined && typeof options.tracing !== 'boolean') {
      throw new InvalidOptionError('tracing must be true or false');
    }
    this.#tracing = options.tracing;
    // Made now (piscina is imported only by the first thread attempt), so a bad option fails here.
    this.#threads = options.threads === undefined ? null : new ThreadPool(options.threads);
  }

  /** Installs tracing before the manager starts (recovered tasks run traced too). */
  prepare(): Promise<void> {
    if (this.#tracing === false) return Promise.resolve();
    this.#tracingReady ??= loadOtel(this.loadOtel).then((api) => {
      if (api) this.#engine.middleware.prepend(otelMiddleware(api));
      else if (this.#tracing === true) throw new MissingPeerError('@opentelemetry/api', 'tracing: true');
    });
    return this.#tracingReady;
  }

  /** The function and options `define()` registers for a `thread: true` task: its module runs in this manager's pool. */
  threadTask(
    name: string,
    module: URL,
    options: TaskOptions | undefined,
  ): [TaskDefinition['fn'], TaskOptions] {
    if ((options as ThreadTaskOptions | undefined)?.thread !== true) {
      throw new InvalidOptionError(`define("${name}"): a module URL runs only with { thread: true }`);
    }
    assertPiscinaInstalled();
    this.#threads ??= new ThreadPool();
    const { thread: _thread, ...taskOptions } = options as ThreadTaskOptions;
    return [threadTask(module, this.#threads), taskOptions];
  }

  reencrypt(options: ReencryptOptions): Promise<ReencryptReport> {
    const backend = this.#engine.backend;
    if (!(backend instanceof EncryptedBackend)) {
      throw new InvalidStateError('reencrypt() needs the encryption option');
    }
    this.#engine.assertRunning();
    return backend.reencrypt(options);
  }

  /** After the manager stopped: closes the observers (they heard the last events) and ends the threads. */
  async close(): Promise<void> {
    await this.#closeObservers();
    await this.#threads?.close();
  }
}
