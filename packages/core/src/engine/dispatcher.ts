import type { Persistence } from '../persistence/persistence.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { DelayQueue } from './delay-queue.js';
import { QueueGates } from './queue-gates.js';
import type { QueueRegistry } from './queues.js';
import { ReadyQueue } from './ready-queue.js';
import type { Runtime } from './runtime.js';
import type { TaskDefinition, TaskState } from './task-state.js';

/** A start whose commit failed is tried again this much later. */
const RUNNING_COMMIT_RETRY_MS = 1000;

/** What the dispatcher asks of the rest of the engine. */
export interface DispatcherHooks {
  /** Runs the attempt of a task that was just marked running. */
  launch(state: TaskState): void;
  /** Whether this instance may start anything now (false while its lease is lost). */
  mayStart(): boolean;
  /** Slots were freed: a claimer may take more work now. */
  capacityFreed(): void;
  /** A task was not started before its deadline: it ends `expired` instead. */
  expire(state: TaskState): void;
}

/**
 * Decides when each task starts: tasks wait for their `runAt` (delay
 * queue), then for a free slot (ready queue), within the manager's and the
 * task name's concurrency limits.
 *
 * It is the one place that marks a task running and the one place that
 * undoes it (`unreserve`) when its start could not be stored. A durable
 * start is stored before the function runs, so a crash can never make
 * another instance run it a second time.
 */
export class Dispatcher {
  readonly #runtime: Runtime;
  readonly #persistence: Persistence;
  readonly #hooks: DispatcherHooks;
  readonly #limiter: ConcurrencyLimiter;
  readonly #ready: ReadyQueue;
  readonly #delayed: DelayQueue;
  readonly #queues: QueueRegistry;
  readonly gates: QueueGates;
  #idleWaiters: Array<() => void> = [];

  constructor(runtime: Runtime, persistence: Persistence, queues: QueueRegistry, hooks: DispatcherHooks) {
    this.#runtime = runtime;
    this.#persistence = persistence;
    this.#hooks = hooks;
    this.#queues = queues;
    this.#limiter = new ConcurrencyLimiter(runtime.options.concurrency);
    this.#ready = new ReadyQueue(runtime.options.priorityAging);
    this.#delayed = new DelayQueue((state) => this.#makeReady(state));
    this.gates = new QueueGates(
      runtime.options.backend,
      runtime.instanceId,
      queues,
      () => this.pump(),
      (operation, error) =>
        runtime.options.logger.warn(`queue ${operation} failed; retrying`, { error: String(error) }),
    );
  }

  /** Attempts running now. */
  get running(): number {
    return this.#limiter.running;
  }

  /** Tasks ready to run, waiting for a slot. */
  get queued(): number {
    return this.#ready.size;
  }

  /** Tasks waiting for their `runAt`. */
  get delayed(): number {
    return this.#delayed.size;
  }

  /** Free slots not already spoken for by queued tasks: how much more work this instance can start soon. */
  get capacity(): number {
    return Math.max(0, this.#runtime.options.concurrency - this.#limiter.running - this.#ready.size);
  }

  /** Queues a task: ready now, or waiting for its `runAt`. */
  schedule(state: TaskState): void {
    if (state.record.runAt > Date.now()) {
      this.#delayed.push(state);
    } else {
      this.#makeReady(state);
    }
  }

  /** Takes a waiting task out of the queues (cancelled, or handed to another instance). */
  remove(state: TaskState): void {
    // The ready queue drops it lazily once it is no longer `ready` there.
    if (state.location === 'delayed') this.#delayed.remove(state);
    else if (state.location === 'ready') state.location = 'none';
  }

  /** Unfinished tasks waiting here (ready or delayed), for re-reading ownership. */
  waiting(): TaskState[] {
    const waiting = this.#delayed.states();
    for (const state of this.#runtime.cache.values()) {
      if (state.location === 'ready') waiting.push(state);
    }
    return waiting;
  }

  /**
   * For a task stored before it is accepted: when it may start at once,
   * marks it running now, so that its acceptance and its start are one
   * write. Returns false when it must wait.
   */
  reserve(state: TaskState): boolean {
    const definition = this.#runtime.definitions.get(state.record.name)!;
    const startNow = state.record.runAt <= Date.now() && this.#ready.size === 0 && this.#canStart(definition);
    if (startNow) this.#markRunning(state);
    return startNow;
  }

  /** Whether a task past its start deadline must expire instead of starting. */
  #expired(state: TaskState): boolean {
    const deadline = state.record.expiresAt;
    if (deadline === null || Date.now() <= deadline) return false;
    this.#hooks.expire(state);
    return true;
  }

  /** Runs a task reserved by `reserve()` once its start is stored; false when it may not start now. */
  launchReserved(state: TaskState): boolean {
    if (state.lost || !this.#hooks.mayStart() || this.#runtime.state() !== 'running') return false;
    this.#hooks.launch(state);
    return true;
  }

  /**
   * Undoes `#markRunning` (a start whose commit failed or was refused): the
   * task is pending again, retried at `retryAt` unless told to stay put.
   */
  unreserve(state: TaskState, retryAt: number | null): void {
    const { record } = state;
    this.#limiter.release(record.name, record.queue);
    record.attempt--;
    record.startedAt = null;
    if (retryAt !== null) record.runAt = retryAt;
    this.#runtime.cache.setStatus(state, 'pending');
    state.location = 'none';
    if (retryAt !== null && this.#runtime.state() === 'running' && !state.lost) this.schedule(state);
    this.#freed();
  }

  /** An attempt ended: its slot is free. */
  settled(state: TaskState): void {
    this.#limiter.release(state.record.name, state.record.queue);
    this.gates.finished(state.record.queue);
    this.#freed();
  }

  /** Starts what may start. */
  pump(): void {
    if (this.#runtime.state() !== 'running' || !this.#hooks.mayStart()) return;
    while (!this.#limiter.full && this.#ready.size > 0) {
      const state = this.#ready.next((name) => this.#canStart(this.#runtime.definitions.get(name)!));
      if (!state) return;
      if (this.#expired(state)) continue;
      this.#start(state);
    }
  }

  /** Resolves once no attempt runs (slots are held from start to settle). */
  idle(): Promise<void> {
    if (this.#limiter.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops the delay timer (stop()); waiting tasks stay as they are, to be saved. */
  stop(): void {
    this.#delayed.stop();
    this.gates.stop();
  }

  #makeReady(state: TaskState): void {
    this.#ready.push(state);
    this.pump();
  }

  #canStart(definition: TaskDefinition): boolean {
    if (this.#runtime.state() !== 'running' || !this.#hooks.mayStart()) return false;
    if (!this.#limiter.canStart(definition.name, definition.options.concurrency)) return false;
    const queue = this.#queues.view(definition.options.queue);
    if (queue.paused) return false;
    if (queue.concurrency !== null && this.#limiter.runningIn(queue.name) >= queue.concurrency) return false;
    return this.gates.mayStart(queue.name, this.#runtime.cache.pendingIn(queue.name));
  }

  #markRunning(state: TaskState): void {
    const { record } = state;
    this.#limiter.acquire(record.name, record.queue);
    this.gates.took(record.queue);
    state.location = 'running';
    record.attempt++;
    record.startedAt = Date.now();
    record.finishedAt = null;
    record.duration = null;
    record.owner = this.#runtime.instanceId;
    this.#runtime.cache.setStatus(state, 'running');
  }

  #start(state: TaskState): void {
    this.#markRunning(state);
    const persistence = this.#persistence;
    if (!persistence.storesStarts(state)) {
      persistence.persist(state);
      this.#hooks.launch(state);
      return;
    }
    persistence.require(state).then(
      (outcome) => {
        if (state.lost) return this.settled(state);
        if (outcome.status === 'fenced') {
          this.settled(state);
          persistence.lose(state, 'another instance took the task over before it started here');
        } else if (outcome.status === 'stored' && this.#hooks.mayStart()) {
          this.#hooks.launch(state);
        } else {
          // Stored, but the lease lapsed meanwhile: run it only once ownership is re-read.
          this.unreserve(state, outcome.status === 'stored' ? Date.now() : null);
        }
      },
      () => this.unreserve(state, Date.now() + RUNNING_COMMIT_RETRY_MS),
    );
  }

  #freed(): void {
    this.pump();
    if (this.#limiter.running === 0 && this.#idleWaiters.length > 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
    this.#hooks.capacityFreed();
  }
}
