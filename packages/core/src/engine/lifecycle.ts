import type { SnapshotBackend } from '../backend/backend.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { BackendError } from '../errors/backend-error.js';
import { InvalidStateError } from '../errors/invalid-state-error.js';
import { ShutdownError } from '../errors/shutdown-error.js';
import type { Persistence } from '../persistence/persistence.js';
import type { AttemptRunner } from './attempt-runner.js';
import type { Dispatcher } from './dispatcher.js';
import type { ManagerState, Runtime } from './runtime.js';
import { describeThrown } from './thrown-value.js';
import type { ManagerComponent } from './types.js';

/** Time the final flush may take beyond `stop()`'s grace period. */
const FINAL_FLUSH_MS = 3000;
/** Time left after the final flush for deregistering and closing the store. */
const CLOSE_MS = 1000;

/** Resolves with `work`'s outcome, or undefined once `ms` have passed (never keeping the process alive). */
function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The engine parts a lifecycle starts and stops. */
export interface LifecycleParts {
  persistence: Persistence;
  dispatcher: Dispatcher;
  runner: AttemptRunner;
  coordinator: Coordinator | null;
  /** Starts what runs alongside once the manager runs (retention). */
  onStarted(): void;
  /** Stops it before the final flush. */
  beforeFlush(): Promise<void>;
  /** Releases what outlives a stop otherwise (result waiters, wake-up timers). */
  onStopped(): void;
}

/**
 * The manager's start and stop, in the order that keeps every promise:
 * nothing runs before the store is open and this instance registered, and
 * `stop()` returns within its timeout plus a fixed bound whatever the store
 * does, having saved what it could and reported the rest.
 */
export class Lifecycle {
  readonly #runtime: Runtime;
  readonly #backend: SnapshotBackend | null;
  readonly #parts: LifecycleParts;
  readonly #components: ManagerComponent[] = [];
  #state: ManagerState = 'idle';
  #startPromise: Promise<void> | null = null;
  #stopPromise: Promise<void> | null = null;

  constructor(runtime: Runtime, backend: SnapshotBackend | null, parts: LifecycleParts) {
    this.#runtime = runtime;
    this.#backend = backend;
    this.#parts = parts;
  }

  get state(): ManagerState {
    return this.#state;
  }

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

  stop(timeout: number): Promise<void> {
    this.#stopPromise ??= (async () => {
      if (this.#startPromise) await this.#startPromise.catch(() => {});
      await this.#shutdown(timeout);
    })();
    return this.#stopPromise;
  }

  async attach(component: ManagerComponent): Promise<void> {
    this.#components.push(component);
    if (this.#state === 'running') await component.start();
  }

  async #start(): Promise<void> {
    if (this.#state !== 'idle') {
      throw new InvalidStateError(`the manager is ${this.#state}; a stopped manager cannot start again`);
    }
    this.#state = 'starting';
    const backend = this.#backend;
    const { coordinator, persistence } = this.#parts;
    let ownPredecessor = false;
    if (backend && coordinator) {
      try {
        await backend.open({ logger: this.#runtime.options.logger });
      } catch (error) {
        this.#state = 'idle';
        throw error instanceof BackendError ? error : new BackendError(backend.name, 'open', error);
      }
      try {
        const dead = await coordinator.register();
        ownPredecessor = dead.includes(this.#runtime.instanceId);
      } catch (error) {
        this.#state = 'idle';
        await backend.close().catch(() => {});
        throw error instanceof BackendError ? error : new BackendError(backend.name, 'start', error);
      }
      persistence.start();
    }
    this.#state = 'running';
    try {
      await coordinator?.begin(ownPredecessor);
      this.#parts.onStarted();
      for (const component of this.#components) await component.start();
    } catch (error) {
      // A manager whose start failed half-way must not look like it runs.
      this.#stopPromise ??= this.#shutdown(0);
      await this.#stopPromise.catch(() => {});
      throw error;
    }
  }

  async #shutdown(timeout: number): Promise<void> {
    const graceEnd = performance.now() + timeout;
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    const { logger } = this.#runtime.options;
    const { persistence, dispatcher, runner, coordinator } = this.#parts;
    for (const component of this.#components.slice().reverse()) {
      await within(
        component.stop().catch((error: unknown) => {
          logger.error('a component failed to stop', { error: describeThrown(error).message });
        }),
        graceEnd - performance.now(),
      );
    }
    this.#state = 'stopping';
    dispatcher.stop();
    await within(coordinator?.stop() ?? Promise.resolve(), graceEnd - performance.now());
    await within(persistence.settled(), graceEnd - performance.now());
    if (dispatcher.running > 0) await within(dispatcher.idle(), graceEnd - performance.now());
    if (dispatcher.running > 0) {
      runner.interruptAll(
        'shutdown',
        (state) => new ShutdownError(`the manager stopped before task ${state.record.id} finished`),
      );
      await within(dispatcher.idle(), 100);
    }
    await within(this.#parts.beforeFlush(), 1000);
    const backend = this.#backend;
    if (backend) {
      const flushEnd = Math.max(graceEnd, performance.now()) + FINAL_FLUSH_MS;
      await persistence.finalFlush(flushEnd);
      const closeEnd = performance.now() + CLOSE_MS;
      await within(
        backend.removeInstance(this.#runtime.instanceId).catch((error: unknown) => {
          persistence.report(new BackendError(backend.name, 'removeInstance', error));
        }),
        closeEnd - performance.now(),
      );
      await within(
        backend.close().catch((error: unknown) => {
          persistence.report(new BackendError(backend.name, 'close', error));
        }),
        closeEnd - performance.now(),
      );
    }
    this.#parts.onStopped();
    this.#state = 'stopped';
  }
}
