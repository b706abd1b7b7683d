import {
  InvalidOptionError,
  type JobRunOutcome,
  type Logger,
  type ManagerComponent,
  MemoryScheduleStore,
  type ScheduleStore,
  type StoredJob,
  type TaskManager,
  type TaskSnapshot,
} from '@errand/core';
import { DuplicateJobError, InvalidJobError, JobNotFoundError } from './errors.js';
import { type JobDefinition, type ResolvedJob, resolveJob } from './job-definition.js';
import { type JobInfo, jobInfo } from './job-info.js';
import { MissedTickListeners, type MissedTicks } from './missed-ticks.js';
import { planTick } from './tick-plan.js';
import { tickRecords } from './tick-records.js';
import { type Trigger, triggerFrom } from './trigger.js';

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /**
   * Whether this instance fires due ticks (default true). An instance with
   * `fire: false` still declares, lists, pauses and runs jobs on demand:
   * web-only instances, or a fleet where only some nodes schedule.
   */
  fire?: boolean;
  /** How often due jobs are looked for, in ms. Default 1000. */
  pollInterval?: number;
  /** Runs at most this many missed ticks of a `coalesce: false` job at once. Default 10. */
  maxCatchUp?: number;
  /** The clock in epoch ms. Default: the store's clock (`backend.now()`). For tests. */
  now?: () => number;
  /** Where the loop reports problems. Default: the console for warnings. */
  logger?: Logger;
}

const MAX_BACKOFF_MS = 30_000;
const FINAL_OUTCOMES: Record<string, JobRunOutcome> = {
  success: 'success',
  failed: 'failed',
  interrupted: 'interrupted',
  cancelled: 'cancelled',
};

const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn: (message, fields) => console.warn(`[errand scheduler] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[errand scheduler] ${message}`, fields ?? ''),
};

/**
 * Cron, interval and one-off jobs whose runs are tasks of a `TaskManager`,
 * so they get retries, logs, history and a place on the dashboard.
 *
 * Jobs are declared in code and stored by the manager's backend: each start
 * re-registers them (a changed definition replaces the stored one; an
 * unchanged one keeps its next run, last run and pause), next run times
 * survive restarts, and with several instances each due tick fires once.
 *
 * ```ts
 * const scheduler = new Scheduler(manager);
 * scheduler.add({ id: 'cleanup', every: '6h', fn: async (ctx) => { ... } });
 * await manager.start(); // starts the scheduler too
 * ```
 */
export class Scheduler implements ManagerComponent {
  readonly #manager: TaskManager;
  readonly #options: Required<Omit<SchedulerOptions, 'now' | 'logger'>> & Pick<SchedulerOptions, 'now'>;
  readonly #logger: Logger;
  readonly #declared = new Map<string, ResolvedJob>();
  readonly #triggers = new Map<string, Trigger>();
  readonly #definitions = new Map<string, JobDefinition>();
  #store: ScheduleStore | null = null;
  #timer: NodeJS.Timeout | null = null;
  #iteration: Promise<void> | null = null;
  #running = false;
  #failures = 0;
  readonly #missed = new MissedTickListeners();

  constructor(manager: TaskManager, options: SchedulerOptions = {}) {
    const pollInterval = options.pollInterval ?? 1000;
    if (!Number.isInteger(pollInterval) || pollInterval < 10)
      throw new InvalidOptionError('pollInterval must be an integer >= 10');
    const maxCatchUp = options.maxCatchUp ?? 10;
    if (!Number.isInteger(maxCatchUp) || maxCatchUp < 1)
      throw new InvalidOptionError('maxCatchUp must be an integer >= 1');
    this.#manager = manager;
    this.#options = { fire: options.fire ?? true, pollInterval, maxCatchUp, now: options.now };
    this.#logger = options.logger ?? consoleLogger;
    manager.on('success', (task) => this.#onFinished(task));
    manager.on('failed', (task) => this.#onFinished(task));
    manager.on('interrupted', (task) => this.#onFinished(task));
    manager.on('cancelled', (task) => this.#onFinished(task));
    // Attached to a running manager, the scheduler starts at once; a failure is reported, not thrown away.
    manager.attach(this).catch((error: unknown) => this.#report('start', error, false));
  }

  /**
   * Hears of ticks this instance recorded as missed (later than
   * `misfireGraceTime`, or folded into a coalesced run): the job and how
   * many. `@errand/core/metrics` counts them as `errand_schedule_missed_total`.
   */
  on(event: 'missed', listener: (info: MissedTicks) => void): this {
    if (event !== 'missed') throw new InvalidOptionError(`unknown scheduler event "${String(event)}"`);
    this.#missed.add(listener);
    return this;
  }

  /**
   * Declares a job. Checked at once: a bad cron expression, time zone,
   * interval or date throws `InvalidJobError` naming the job; a repeated id
   * throws `DuplicateJobError`. Declare jobs before `manager.start()`.
   */
  add(definition: JobDefinition): void {
    const resolved = resolveJob(definition, Date.now());
    if (this.#declared.has(resolved.id)) throw new DuplicateJobError(resolved.id);
    if (definition.fn) {
      this.#manager.define(resolved.taskName, definition.fn, definition.taskOptions);
    } else if (!this.#manager.taskNames.includes(resolved.taskName)) {
      throw new InvalidOptionError(
        `job "${resolved.id}": no task named "${resolved.taskName}" is defined on the manager`,
      );
    }
    this.#declared.set(resolved.id, resolved);
    this.#definitions.set(resolved.id, definition);
    if (this.#store) void this.#register(resolved).catch((error) => this.#report('register', error));
  }

  /** Every stored job, with its schedule and next run in words. */
  async list(): Promise<JobInfo[]> {
    const now = await this.#now();
    return (await this.#requireStore().list()).map((job) => jobInfo(job, now));
  }

  /** The next `count` jobs to run (not paused, not orphaned), soonest first. */
  async next(count = 3): Promise<JobInfo[]> {
    const jobs = await this.list();
    return jobs
      .filter((job) => job.nextRunAt !== null && !job.paused && !job.orphaned)
      .sort((a, b) => a.nextRunAt!.getTime() - b.nextRunAt!.getTime())
      .slice(0, count);
  }

  /** Stops a job from firing, on every instance, until `resume()`; survives restarts. */
  async pause(id: string): Promise<void> {
    if (!(await this.#requireStore().setPaused(id, true))) throw new JobNotFoundError(id);
  }

  async resume(id: string): Promise<void> {
    if (!(await this.#requireStore().setPaused(id, false))) throw new JobNotFoundError(id);
  }

  /** Runs a declared job now, as an extra run: its next scheduled tick is not consumed. Resolves to the task id. */
  async runNow(id: string): Promise<string> {
    const job = this.#declared.get(id);
    if (!job) throw new JobNotFoundError(id);
    return this.#manager.enqueue(job.taskName, job.args, { tags: { job: id, trigger: 'manual' } });
  }

  /** Deletes a stored job (an orphan, typically). A job still declared in code comes back at the next start. */
  async remove(id: string): Promise<void> {
    if (!(await this.#requireStore().remove(id))) throw new JobNotFoundError(id);
  }

  /**
   * Handles every job due at `now` (default: the store's clock) once. The
   * loop calls it every `pollInterval`; tests call it with a fixed clock.
   */
  async tick(now?: number): Promise<void> {
    const store = this.#requireStore();
    const at = now ?? (await this.#now());
    const due = await store.due(at, 100);
    for (const job of due) {
      const resolved = this.#declared.get(job.id);
      // A job this code does not declare (another version's) is left to instances that do.
      if (!resolved || resolved.definitionHash !== job.definitionHash) continue;
      await this.#fire(store, job, resolved, at);
    }
  }

  /** @internal Called by the manager once it has started. */
  async start(): Promise<void> {
    const backend = this.#manager.backend;
    if (backend && !backend.schedules) {
      throw new InvalidOptionError(
        `the ${backend.name} backend does not support the scheduler (no schedules store)`,
      );
    }
    this.#store = backend?.schedules ?? new MemoryScheduleStore();
    for (const job of this.#declared.values()) await this.#register(job);
    await this.#store.markOrphans([...this.#declared.keys()]);
    this.#manager.setInstanceMeta({ scheduler: this.#options.fire ? 'firing' : 'passive' });
    if (this.#options.fire) {
      this.#running = true;
      this.#loop();
    }
  }

  /** @internal Called by the manager before it stops. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#iteration) await this.#iteration;
  }

  // ----------------------------------------------------------------- private

  #loop(): void {
    if (!this.#running) return;
    this.#iteration = this.tick().then(
      () => {
        this.#failures = 0;
      },
      (error: unknown) => {
        this.#failures++;
        this.#report('tick', error);
      },
    );
    void this.#iteration.then(() => {
      this.#iteration = null;
      if (!this.#running) return;
      // A store outage never kills the loop: it waits longer, then tries again.
      const delay = Math.min(this.#options.pollInterval * 2 ** this.#failures, MAX_BACKOFF_MS);
      this.#timer = setTimeout(() => this.#loop(), delay);
      this.#timer.unref();
    });
  }

  async #register(job: ResolvedJob): Promise<void> {
    const store = this.#requireStore();
    const now = await this.#now();
    // An `every` job without startAt is anchored at its first registration, on
    // the store's clock; a stored job keeps its anchor (register() keeps it).
    const declared =
      job.trigger.kind === 'every' && job.startAt === null
        ? { ...job.trigger, anchor: now + job.trigger.intervalMs }
        : job.trigger;
    const trigger = triggerFrom(declared);
    const nextRunAt = await this.#firstRun(store, trigger, job, now);
    const stored = await store.register({
      id: job.id,
      taskName: job.taskName,
      trigger: declared,
      definitionHash: job.definitionHash,
      options: job.options,
      nextRunAt,
      lastRunAt: null,
      lastOutcome: null,
      paused: job.paused,
      orphaned: false,
      activeRuns: [],
      updatedAt: now,
    });
    // The stored trigger wins: it holds the original anchor of an `every` job.
    this.#triggers.set(job.id, triggerFrom(stored.trigger));
  }

  /**
   * When a newly declared job first fires. A one-off `at` already past runs
   * once at start when its misfire grace allows (null: any lateness), and is
   * refused otherwise; a stored job with the same definition keeps its own
   * run state (a one-off job that ran stays done across restarts).
   */
  async #firstRun(
    store: ScheduleStore,
    trigger: Trigger,
    job: ResolvedJob,
    now: number,
  ): Promise<number | null> {
    if (job.trigger.kind !== 'at' || job.trigger.at > now) return this.#nextAfter(trigger, job, now);
    const known = await store.get(job.id);
    if (known && known.definitionHash === job.definitionHash) return known.nextRunAt;
    const late = now - job.trigger.at;
    if (job.misfireGraceTime !== null && late > job.misfireGraceTime) {
      throw new InvalidJobError(
        job.id,
        `at ${new Date(job.trigger.at).toISOString()} is ${Math.round(late / 1000)} s past, beyond misfireGraceTime (${job.misfireGraceTime} ms): it would never run; move it or remove it`,
      );
    }
    return job.trigger.at;
  }

  #nextAfter(trigger: Trigger, job: ResolvedJob, after: number): number | null {
    const from = job.startAt !== null && job.startAt - 1 > after ? job.startAt - 1 : after;
    const next = trigger.next(from);
    return next !== null && job.endAt !== null && next > job.endAt ? null : next;
  }

  async #fire(store: ScheduleStore, job: StoredJob, resolved: ResolvedJob, now: number): Promise<void> {
    const trigger = this.#triggers.get(job.id) ?? triggerFrom(job.trigger);
    const activeRuns = await this.#stillActive(job.activeRuns);
    const plan = planTick({
      nextRunAt: job.nextRunAt!,
      now,
      next: (after) => this.#nextAfter(trigger, resolved, after),
      misfireGraceTime: resolved.misfireGraceTime,
      coalesce: resolved.coalesce,
      maxCatchUp: this.#options.maxCatchUp,
      capacity: resolved.maxInstances - activeRuns.length,
    });
    const { runs, records } = tickRecords(this.#manager, job.id, resolved, plan, now, activeRuns.length);
    const claim = await store.claimTick({
      jobId: job.id,
      expectedNextRunAt: job.nextRunAt!,
      nextRunAt: plan.nextRunAt,
      activeRuns: [...activeRuns, ...runs.map((run) => run.id)],
      lastRunAt: plan.lastTick,
      lastOutcome: runs.length > 0 ? null : plan.skipped.length > 0 ? 'skipped' : 'missed',
      tasks: records,
    });
    if (!claim.won) return;
    if (plan.missed.length > 0) this.#missed.emit({ jobId: job.id, ticks: plan.missed.length }, this.#logger);
    // A run whose key another task already holds was not stored: it must not run.
    const refused = new Set(claim.conflicts.map((conflict) => conflict.id));
    for (const run of runs) {
      if (refused.has(run.id)) {
        this.#logger.warn(`job "${job.id}": a task already holds the key of this tick; not run again`, {
          taskId: run.id,
        });
      } else {
        this.#manager.adoptStored(run);
      }
    }
  }

  /** Drops runs that have finished (or vanished), so that a dead instance's run blocks nothing. */
  async #stillActive(ids: string[]): Promise<string[]> {
    const active: string[] = [];
    for (const id of ids) {
      const task = await this.#manager.get(id);
      if (task && (task.status === 'pending' || task.status === 'running')) active.push(id);
    }
    return active;
  }

  #onFinished(task: TaskSnapshot): void {
    // Only scheduled runs count for the job (not manual runs, nor missed/skipped records).
    const jobId = task.tags.job;
    if (!jobId || !this.#store || task.tags.trigger !== 'schedule') return;
    const outcome = FINAL_OUTCOMES[task.status];
    if (!outcome) return;
    this.#store.recordOutcome(jobId, task.id, outcome).catch((error) => this.#report('recordOutcome', error));
  }

  async #now(): Promise<number> {
    if (this.#options.now) return this.#options.now();
    const backend = this.#manager.backend;
    return backend ? backend.now() : Date.now();
  }

  #requireStore(): ScheduleStore {
    if (!this.#store)
      throw new InvalidOptionError('the scheduler starts with its manager: await manager.start() first');
    return this.#store;
  }

  #report(operation: string, error: unknown, retrying = true): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#logger.warn(retrying ? `${operation} failed; will retry` : `${operation} failed`, {
      error: message,
    });
  }
}
