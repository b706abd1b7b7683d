import type { TaskRecord } from '../model/task-record.js';
import type { WriteResult } from './backend.js';

/**
 * A trigger as stored: JSON, never code. `@errand/scheduler` interprets it.
 * `every` is anchored to its first run, so restarts do not shift it.
 */
export type StoredTrigger =
  | { kind: 'cron'; expression: string; timezone: string }
  | { kind: 'every'; intervalMs: number; anchor: number }
  | { kind: 'at'; at: number };

/**
 * Outcome of a job's last tick: how its run ended, or why no run happened
 * (`missed`: later than `misfireGraceTime`; `skipped`: `maxInstances` runs
 * were still going).
 */
export type JobRunOutcome = 'success' | 'failed' | 'interrupted' | 'cancelled' | 'missed' | 'skipped';

/**
 * One persisted job: the counterpart of APScheduler's `apscheduler_jobs`
 * row. The definition (`taskName`, `trigger`, `options`, `definitionHash`)
 * comes from code at every start; the run state (`nextRunAt`, `lastRunAt`,
 * `lastOutcome`, `paused`, `activeRuns`) lives in the store.
 */
export interface StoredJob {
  id: string;
  /** Task name that each run enqueues. */
  taskName: string;
  trigger: StoredTrigger;
  /** Hash of the code-side definition; a change replaces the definition and recomputes `nextRunAt`. */
  definitionHash: string;
  /** JSON options of the job (args, misfire policy, coalesce, maxInstances...). */
  options: Record<string, unknown>;
  /** Epoch ms of the next due tick, or null when the job will not fire again. */
  nextRunAt: number | null;
  /** Epoch ms of the last tick that was handled (run, missed or skipped). */
  lastRunAt: number | null;
  lastOutcome: JobRunOutcome | null;
  paused: boolean;
  /** Declared by no running code any more; never fires. */
  orphaned: boolean;
  /** Ids of the runs (tasks) that have not finished, across instances (for `maxInstances`). */
  activeRuns: string[];
  updatedAt: number;
}

/** One atomic tick of a job: see {@link ScheduleStore.claimTick}. */
export interface TickClaim {
  jobId: string;
  /** The `nextRunAt` the claimer saw; the claim fails when the store has another. */
  expectedNextRunAt: number;
  nextRunAt: number | null;
  activeRuns: string[];
  lastRunAt: number;
  /** `null` while the run goes on; `missed`/`skipped` when no run happens. */
  lastOutcome: JobRunOutcome | null;
  /**
   * Task records to store with the claim: the run, and/or finished records
   * that put missed or skipped ticks into history. Stored with the rules of
   * `SnapshotBackend.write()` (a record whose idempotency key is held is
   * not stored).
   */
  tasks: TaskRecord[];
}

/** What {@link ScheduleStore.claimTick} did. */
export interface TickClaimResult {
  /** This caller moved the job to its next tick (false: another instance did first). */
  won: boolean;
  /** Tasks of the tick that were not stored because their key is held (empty when `won` is false). */
  conflicts: WriteResult['conflicts'];
}

/**
 * Storage for `@errand/scheduler`. Every backend that supports the
 * scheduler exposes one as `backend.schedules`; the conformance suite
 * checks it.
 *
 * The one operation that must be atomic across instances is `claimTick`: a
 * compare-and-set on the stored `nextRunAt` that writes the tick's tasks in
 * the same transaction, so that each due tick fires exactly once.
 */
export interface ScheduleStore {
  /** All stored jobs, ordered by id. */
  list(): Promise<StoredJob[]>;
  get(id: string): Promise<StoredJob | null>;
  /**
   * Declares a job from code. A new id is inserted as given. For a stored id
   * with the same `definitionHash`, only `orphaned` is cleared: the run
   * state survives the restart. With another hash, the definition
   * (`taskName`, `trigger`, `options`, `definitionHash`) and `nextRunAt`
   * are replaced; `paused`, `lastRunAt`, `lastOutcome` and `activeRuns` are
   * kept. Returns the job as now stored.
   */
  register(job: StoredJob): Promise<StoredJob>;
  /** Sets `orphaned` on every job whose id is not in `declaredIds`, and clears it on the others. */
  markOrphans(declaredIds: readonly string[]): Promise<void>;
  /** Deletes a job; false when there was none. */
  remove(id: string): Promise<boolean>;
  /** False when there is no such job. */
  setPaused(id: string, paused: boolean): Promise<boolean>;
  /**
   * If the job's stored `nextRunAt` equals `claim.expectedNextRunAt`, sets
   * `nextRunAt`, `activeRuns`, `lastRunAt` and `lastOutcome` (when not null)
   * and stores `claim.tasks` with the rules of `SnapshotBackend.write()`, all
   * in one transaction, and returns `won: true`. A task whose idempotency
   * key another task holds is not stored: it is reported in `conflicts` and
   * its id is left out of the stored `activeRuns` (it will never run, so it
   * must not count against `maxInstances`).
   * Otherwise changes nothing and returns `won: false` (another instance won).
   */
  claimTick(claim: TickClaim): Promise<TickClaimResult>;
  /** A run ended: removes `taskId` from `activeRuns` and sets `lastOutcome`. */
  recordOutcome(jobId: string, taskId: string, outcome: JobRunOutcome): Promise<void>;
  /** Jobs with `nextRunAt <= now` (store clock), not paused, not orphaned; earliest first. */
  due(now: number, limit: number): Promise<StoredJob[]>;
}
