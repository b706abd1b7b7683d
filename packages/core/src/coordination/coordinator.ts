import type { HeartbeatReply, QueueOverride, SnapshotBackend } from '../backend/backend.js';
import type { AttemptRunner } from '../engine/attempt-runner.js';
import type { Dispatcher } from '../engine/dispatcher.js';
import type { Runtime } from '../engine/runtime.js';
import { newState, type TaskState } from '../engine/task-state.js';
import { BackendError } from '../errors/backend-error.js';
import { LeaseLostError } from '../errors/lease-lost-error.js';
import { normalizeQuery } from '../model/query-filter.js';
import { FINISHED_STATUSES, type TaskRecord } from '../model/task-record.js';
import type { Persistence } from '../persistence/persistence.js';
import { LeaseClock } from './lease-clock.js';
import { readOwnership } from './ownership.js';
import { deadPredecessors, PROCESS_IDENTITY } from './predecessors.js';

/** The parts of the engine the coordinator drives. */
export interface CoordinatorParts {
  dispatcher: Dispatcher;
  runner: AttemptRunner;
  persistence: Persistence;
  /** Extra fields of this instance's heartbeat metadata. */
  meta(): Record<string, unknown>;
  /** Another instance asked for these tasks of this one to be cancelled. */
  cancelRequested(ids: string[]): void;
  /** A claimed task was already asked to be cancelled: end it instead of running it. */
  cancelClaimed(state: TaskState): void;
  /** The queue overrides stored now (brought back by every heartbeat). */
  queues(overrides: QueueOverride[]): void;
  /** Queues whose work a claim must leave alone (paused). */
  pausedQueues(): string[];
}

/**
 * This instance's place among the instances sharing the store: it renews
 * one heartbeat, watches its own lease, and takes over the unfinished work
 * of instances that are gone.
 *
 * When the heartbeat cannot be renewed for `leaseTtl` (by this instance's
 * own monotonic clock, with a margin), another instance may take its tasks:
 * it aborts every running attempt with a `LeaseLostError`, starts nothing,
 * and once a heartbeat lands again it re-reads which waiting tasks are
 * still its own before it runs anything. Claims take only what the
 * instance can run soon, and the store checks in the same step that the
 * claimer's heartbeat is alive.
 */
export class Coordinator {
  readonly #runtime: Runtime;
  readonly #backend: SnapshotBackend;
  readonly #parts: CoordinatorParts;
  readonly #lease: LeaseClock;
  #leaseLost = false;
  #heartbeatHealthy = true;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #publishing: Promise<void> | null = null;
  #takeoverTimer: NodeJS.Timeout | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #recovering: Promise<number> | null = null;
  #regaining: Promise<void> | null = null;
  /** The last claim was full: more work may be waiting, so claim again as slots free up. */
  #moreWaiting = false;
  /** Other instances proven dead at start whose work is claimable before their heartbeat expires. */
  #deadOwners: string[] = [];
  #stopped = false;
  #unwatch: (() => Promise<void>) | null = null;
  /** A wake-up came while a claim was in flight: claim again when it ends. */
  #again = false;

  constructor(runtime: Runtime, backend: SnapshotBackend, parts: CoordinatorParts) {
    this.#runtime = runtime;
    this.#backend = backend;
    this.#parts = parts;
    this.#lease = new LeaseClock(runtime.options.leaseTtl);
  }

  get heartbeatHealthy(): boolean {
    return this.#heartbeatHealthy;
  }

  /** Whether this instance's lease certainly holds now (nothing may start otherwise). */
  leaseValid(): boolean {
    return !this.#leaseLost && this.#lease.valid();
  }

  /** The metadata published with each heartbeat. */
  meta(): Record<string, unknown> {
    const { leaseTtl } = this.#runtime.options;
    // leaseTtl lets a reader of the store (the CLI) tell a quiet instance from a stopped one.
    return { ...PROCESS_IDENTITY, node: process.version, leaseTtl, ...this.#parts.meta() };
  }

  /**
   * The metadata changed (a component announced its role): publish it now
   * rather than at the next heartbeat, so that a health check right after
   * start sees it. Coalesced with a heartbeat already in flight.
   */
  publishMeta(): void {
    if (this.#stopped || this.#heartbeatTimer === null || this.#publishing) return;
    this.#publishing = this.#heartbeat().finally(() => {
      this.#publishing = null;
    });
  }

  /**
   * At start, before anything runs: registers the heartbeat (rejects when
   * the store cannot be reached), loads recent history, and finds
   * predecessors on this host that are provably dead.
   */
  async register(): Promise<string[]> {
    const sentAt = performance.now();
    const reply = await this.#backend.heartbeat(
      this.#runtime.instanceId,
      this.#runtime.options.leaseTtl,
      this.meta(),
    );
    this.#lease.renewed(sentAt);
    // Paused queues and changed limits apply before anything runs.
    this.#parts.queues(reply.queues);
    await this.#preload();
    const { options, instanceId } = this.#runtime;
    const dead = deadPredecessors(await this.#backend.instances(), {
      id: instanceId,
      sameIdGiven: options.instanceIdGiven,
    });
    this.#deadOwners = dead.filter((id) => id !== instanceId);
    for (const id of this.#deadOwners) await this.#backend.removeInstance(id).catch(() => {});
    return dead;
  }

  /**
   * Once the manager runs: recovers the tasks of a predecessor with this
   * very instance id (all of them, before anything else runs here), then
   * claims what it can run and starts the heartbeat and takeover timers.
   */
  async begin(ownPredecessor: boolean): Promise<void> {
    const { heartbeatInterval, takeoverInterval, pollInterval, runTasks } = this.#runtime.options;
    this.#armWatchdog();
    this.#heartbeatTimer = setInterval(() => void this.#heartbeat(), heartbeatInterval);
    this.#heartbeatTimer.unref();
    // A producer-only instance runs nothing, so it claims nothing.
    if (!runTasks) return;
    if (ownPredecessor) await this.#claimOwn();
    await this.recover();
    // A store that wakes instances when work arrives needs no polling for it: only the
    // takeover round remains. Without that, shared work is looked for every pollInterval.
    const notifies = this.#backend.capabilities.notify && typeof this.#backend.watch === 'function';
    if (notifies) {
      this.#unwatch = await this.#backend.watch!(() => void this.recover()).catch((error: unknown) => {
        this.#parts.persistence.report(new BackendError(this.#backend.name, 'watch', error));
        return null;
      });
    }
    const every = notifies && this.#unwatch ? takeoverInterval : Math.min(takeoverInterval, pollInterval);
    this.#takeoverTimer = setInterval(() => void this.recover(), every);
    this.#takeoverTimer.unref();
  }

  /** Stops renewing and claiming; waits for a claim in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of [this.#heartbeatTimer, this.#takeoverTimer]) if (timer) clearInterval(timer);
    if (this.#watchdog) clearTimeout(this.#watchdog);
    await this.#unwatch?.().catch(() => {});
    await this.#recovering?.catch(() => 0);
    await this.#regaining?.catch(() => {});
  }

  /** Slots were freed: claim again now if the last claim suggests more work is waiting. */
  capacityFreed(): void {
    if (this.#moreWaiting && this.#recovering === null && this.#parts.dispatcher.capacity > 0) {
      void this.recover();
    }
  }

  /**
   * Claims unowned work and the unfinished work of gone instances, as much
   * as this instance can run soon; returns how many.
   */
  recover(): Promise<number> {
    if (!this.#runtime.options.runTasks) return Promise.resolve(0);
    if (this.#recovering) {
      // The round in flight may have looked before this work was stored: look once more after it.
      this.#again = true;
      return this.#recovering;
    }
    this.#recovering = this.#claimRound().finally(() => {
      this.#recovering = null;
      if (this.#again) {
        this.#again = false;
        void this.recover();
      }
    });
    return this.#recovering;
  }

  async #claimRound(): Promise<number> {
    const { options, definitions, instanceId, state } = this.#runtime;
    const limit = Math.min(this.#parts.dispatcher.capacity, options.maxBatch);
    if (this.#stopped || state() !== 'running' || !this.leaseValid() || definitions.size === 0) return 0;
    if (limit === 0) return 0;
    let claimed: TaskRecord[];
    try {
      claimed = await this.#backend.claim({
        instanceId,
        names: [...definitions.keys()],
        limit,
        deadOwners: this.#deadOwners,
        excludeQueues: this.#parts.pausedQueues(),
      });
    } catch (error) {
      this.#parts.persistence.report(
        error instanceof BackendError ? error : new BackendError(this.#backend.name, 'claim', error),
      );
      return 0;
    }
    this.#moreWaiting = claimed.length >= limit;
    if (claimed.length < limit) this.#deadOwners = [];
    for (const record of claimed) this.#adopt(record);
    if (claimed.length > 0) {
      options.logger.info(`took over ${claimed.length} unfinished task(s)`, { instanceId });
    }
    return claimed.length;
  }

  /** A restart under the same configured id: every task stored under that id is this instance's to recover. */
  async #claimOwn(): Promise<void> {
    const { options, definitions, instanceId } = this.#runtime;
    if (definitions.size === 0) return;
    for (;;) {
      const claimed = await this.#backend.claim({
        instanceId,
        names: [...definitions.keys()],
        limit: options.maxBatch,
        deadOwners: [instanceId],
        onlyDeadOwners: true,
      });
      for (const record of claimed) this.#adopt(record);
      if (claimed.length < options.maxBatch) return;
    }
  }

  /** Takes a claimed record into memory and acts on it; never a second attempt of a task running here. */
  #adopt(record: TaskRecord): void {
    const { cache, emit, definitions } = this.#runtime;
    const known = cache.get(record.id);
    if (known && known.location !== 'none') return;
    if (known) cache.delete(known);
    // Work stored by another instance, never started: this instance's definition decides how it runs.
    const definition = definitions.get(record.name);
    if (definition && record.attempt === 0 && record.status === 'pending') {
      record.maxAttempts = definition.options.retries + 1;
      record.requeueOnInterrupt = definition.options.requeueOnInterrupt;
    }
    const state = newState(record);
    this.#parts.persistence.adopted(state);
    cache.add(state);
    if (record.status === 'pending' && record.cancelRequested) {
      this.#parts.cancelClaimed(state);
    } else if (record.status === 'pending') {
      this.#parts.dispatcher.schedule(state);
    } else if (record.status === 'interrupted') {
      emit('interrupted', record);
      this.#parts.persistence.evict();
    }
  }

  async #preload(): Promise<void> {
    const { options, cache } = this.#runtime;
    if (options.preload === 0) return;
    const rows = await this.#backend.query(
      normalizeQuery({ status: FINISHED_STATUSES, limit: options.preload }),
    );
    for (let i = Math.min(rows.length, options.preload) - 1; i >= 0; i--) {
      const record = rows[i]!;
      if (cache.get(record.id)) continue;
      const state = newState(record);
      this.#parts.persistence.adopted(state);
      cache.add(state);
    }
  }

  async #heartbeat(): Promise<void> {
    if (this.#stopped) return;
    const sentAt = performance.now();
    let reply: HeartbeatReply;
    try {
      reply = await this.#backend.heartbeat(
        this.#runtime.instanceId,
        this.#runtime.options.leaseTtl,
        this.meta(),
      );
    } catch (error) {
      this.#heartbeatHealthy = false;
      this.#parts.persistence.report(
        error instanceof BackendError ? error : new BackendError(this.#backend.name, 'heartbeat', error),
      );
      return;
    }
    this.#heartbeatHealthy = true;
    this.#lease.renewed(sentAt);
    if (this.#leaseLost) void this.#regain();
    else this.#armWatchdog();
    this.#parts.queues(reply.queues);
    if (reply.cancelRequests.length > 0) this.#parts.cancelRequested(reply.cancelRequests);
  }

  #armWatchdog(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    if (this.#stopped) return;
    this.#watchdog = setTimeout(
      () => this.#check(),
      Math.max(0, this.#lease.deadline - performance.now()) + 1,
    );
    this.#watchdog.unref();
  }

  #check(): void {
    this.#watchdog = null;
    if (this.#stopped || this.#leaseLost) return;
    if (this.#lease.valid()) {
      this.#armWatchdog();
      return;
    }
    this.#leaseLost = true;
    const { instanceId, options, emit } = this.#runtime;
    const sinceMs = Math.round(options.leaseTtl + this.#lease.lapsedFor());
    const aborted = this.#parts.runner.interruptAll(
      'lease',
      () => new LeaseLostError(`instance ${instanceId} has not renewed its heartbeat for ${sinceMs} ms`),
    );
    options.logger.warn(
      `lease lost: no heartbeat renewed for ${sinceMs} ms; ${aborted} running attempt(s) aborted, nothing starts until the store answers again`,
      { instanceId },
    );
    emit('leaseLost', { instanceId, sinceMs });
  }

  /** The heartbeat lands again: re-read which waiting tasks are still ours, then carry on. */
  #regain(): Promise<void> {
    this.#regaining ??= this.#reread().finally(() => {
      this.#regaining = null;
    });
    return this.#regaining;
  }

  async #reread(): Promise<void> {
    const { instanceId, options, emit, cache } = this.#runtime;
    const waiting = this.#parts.dispatcher.waiting().filter((state) => state.persisted);
    let handedOver: TaskState[];
    try {
      handedOver = await readOwnership(this.#backend, waiting, instanceId);
    } catch {
      return; // Still unreachable: the next heartbeat tries again.
    }
    for (const state of handedOver) {
      this.#parts.dispatcher.remove(state);
      this.#parts.persistence.forget(state);
      cache.delete(state);
    }
    if (this.#stopped) return;
    this.#leaseLost = false;
    this.#armWatchdog();
    options.logger.info(`lease restored; ${handedOver.length} task(s) are now other instances'`, {
      instanceId,
    });
    emit('leaseRestored', { instanceId, handedOver: handedOver.length });
    this.#parts.dispatcher.pump();
    void this.recover();
  }
}
