import type { JobRunOutcome, StoredJob, StoredTrigger } from '@errand/core';

/** The scheduler's own describers: "Daily at 2:00 AM UTC", "in 5h", "overdue by 3m". */
export interface JobWords {
  describeTrigger(trigger: StoredTrigger): string;
  describeRelative(at: number | null, now: number): string;
}

/**
 * Loads the scheduler's describers, only when there are jobs to describe,
 * and from `@errand/scheduler/describe`, which leaves croner out of a
 * health check's cold start.
 */
export function loadJobWords(): Promise<JobWords> {
  return import('@errand/scheduler/describe');
}

/** Every job, viewed on the store's clock, soonest first (the describers are loaded only if there are any). */
export async function viewJobs(jobs: readonly StoredJob[], now: number): Promise<JobView[]> {
  if (jobs.length === 0) return [];
  const words = await loadJobWords();
  return jobs.map((job) => viewJob(job, now, words)).sort(byNextRun);
}

/** How late a job may be before the health check calls it overdue: a poll or two is normal. */
export const MIN_GRACE_MS = 60_000;

/** A stored job as the CLI shows it, on the store's clock. */
export interface JobView {
  id: string;
  taskName: string;
  trigger: StoredTrigger;
  /** The trigger in words, by the scheduler's own describer: "Daily at 2:00 AM UTC". */
  schedule: string;
  nextRunAt: number | null;
  /** "in 5h", "overdue by 3m", "paused", "never (orphaned)", "never". */
  nextRunIn: string;
  lastRunAt: number | null;
  lastOutcome: JobRunOutcome | null;
  paused: boolean;
  /** Declared by no code that started since: it never fires. */
  orphaned: boolean;
  /** Will fire: not paused, not orphaned, with a next run. */
  active: boolean;
  activeRuns: number;
  /** `max(60 s, misfireGraceTime)`. */
  graceMs: number;
  /** Active and later than its grace: no scheduler is firing it. */
  overdue: boolean;
  overdueMs: number;
}

function misfireGrace(job: StoredJob): number {
  const grace = job.options.misfireGraceTime;
  return typeof grace === 'number' && Number.isFinite(grace) ? grace : 0;
}

export function viewJob(job: StoredJob, now: number, words: JobWords): JobView {
  const active = !job.paused && !job.orphaned && job.nextRunAt !== null;
  const graceMs = Math.max(MIN_GRACE_MS, misfireGrace(job));
  const overdueMs = active ? Math.max(0, now - job.nextRunAt!) : 0;
  return {
    id: job.id,
    taskName: job.taskName,
    trigger: job.trigger,
    schedule: words.describeTrigger(job.trigger),
    nextRunAt: job.nextRunAt,
    nextRunIn: job.paused
      ? 'paused'
      : job.orphaned
        ? 'never (orphaned)'
        : words.describeRelative(job.nextRunAt, now),
    lastRunAt: job.lastRunAt,
    lastOutcome: job.lastOutcome,
    paused: job.paused,
    orphaned: job.orphaned,
    active,
    activeRuns: job.activeRuns.length,
    graceMs,
    overdue: overdueMs > graceMs,
    overdueMs,
  };
}

/** Soonest first; paused, orphaned and finished jobs after the ones that will fire, by id. */
export function byNextRun(a: JobView, b: JobView): number {
  if (a.active !== b.active) return a.active ? -1 : 1;
  if (a.active && a.nextRunAt !== b.nextRunAt) return a.nextRunAt! - b.nextRunAt!;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The JSON form of a job: times as ISO 8601 strings. */
export function jobJson(view: JobView) {
  return {
    id: view.id,
    taskName: view.taskName,
    schedule: view.schedule,
    nextRunAt: view.nextRunAt === null ? null : new Date(view.nextRunAt).toISOString(),
    nextRunIn: view.nextRunIn,
    lastRunAt: view.lastRunAt === null ? null : new Date(view.lastRunAt).toISOString(),
    lastOutcome: view.lastOutcome,
    paused: view.paused,
    orphaned: view.orphaned,
    overdue: view.overdue,
    activeRuns: view.activeRuns,
  };
}
