import type { TaskRecord } from './task-record.js';

/**
 * A trigger as stored: JSON, never code. `@errand/scheduler` interprets it.
 */
export type StoredTrigger =
  | { kind: 'cron'; expression: string; timezone: string }
  | { kind: 'every'; intervalMs: number; anchor: number }
  | { kind: 'at'; at: number };

/** Outcome of the last run of a job, as the store remembers it. */
export type JobRunOutcome = 'success' | 'failed' | 'interrupted' | 'missed' | 'skipped';

/**
 * One persisted job: the counterpart of APScheduler's `apscheduler_jobs`
 * row. Definition fields come from code at every start; run-state fields
 * (`nextRunAt`, `lastRunAt`, `lastOutcome`, `paused`) survive restarts while
 * the definition's `definitionHash` is unchanged.
 */
export interface StoredJob {
  id: string;
  /** Task name that each run enqueues. */
  taskName: string;
  trigger: StoredTrigger;
  /** Hash of the code-side definition; a change resets the run state. */
  definitionHash: string;
  /** JSON options of the job (args, misfire policy, coalesce, maxInstances...). */
  options: Record<string, unknown>;
  /** Epoch ms of the next due tick, or null when the job will not fire again. */
  nextRunAt: number | null;
  lastRunAt: number | null;
  lastOutcome: JobRunOutcome | null;
  paused: boolean;
  /** Declared by no running code any more; never fires. */
  orphaned: boolean;
  updatedAt: number;
}

/**
 * Storage for `@errand/scheduler`. Every backend that supports the
 * scheduler exposes one as `backend.schedules`.
 *
 * The one operation that must be atomic across instances is `claimTick`: a
 * compare-and-set on the stored `nextRunAt` that inserts the run's task in
 * the same transaction, so each due tick fires exactly once.
 */
export interface ScheduleStore {
  /** All stored jobs. */
  list(): Promise<StoredJob[]>;
  get(id: string): Promise<StoredJob | null>;
  /**
   * Inserts the job, or replaces its definition when `definitionHash`
   * differs (run state reset to the given one); an unchanged definition keeps
   * the stored run state. Clears `orphaned`. Returns the job as stored.
   */
  register(job: StoredJob): Promise<StoredJob>;
  /** Flags jobs whose id is not in `declaredIds` as orphaned. */
  markOrphans(declaredIds: readonly string[]): Promise<void>;
  remove(id: string): Promise<boolean>;
  setPaused(id: string, paused: boolean): Promise<boolean>;
  /**
   * If the stored `nextRunAt` still equals `expectedNextRunAt`, sets it to
   * `nextRunAt`, and writes `task` (when given) in the same transaction.
   * Returns false when another instance won the tick.
   */
  claimTick(
    id: string,
    expectedNextRunAt: number,
    nextRunAt: number | null,
    task: TaskRecord | null,
  ): Promise<boolean>;
  /** Records the outcome of a run. */
  recordOutcome(id: string, at: number, outcome: JobRunOutcome): Promise<void>;
  /** Jobs due at or before `now` (store clock), not paused, not orphaned. */
  due(now: number, limit: number): Promise<StoredJob[]>;
}
