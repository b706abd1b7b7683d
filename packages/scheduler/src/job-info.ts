import type { JobRunOutcome, StoredJob } from '@errand/core';
import { describeRelative, describeTrigger } from './describe.js';

/** A job as `list()` shows it. */
export interface JobInfo {
  id: string;
  taskName: string;
  trigger: StoredJob['trigger'];
  /** The trigger in words: "Daily at 2:00 AM UTC", "Every 6 hours"... */
  schedule: string;
  nextRunAt: Date | null;
  /** "in 1h 29m", "in 45s", "overdue by 3m 10s", "never": two units at most, rounded. */
  nextRunIn: string;
  lastRunAt: Date | null;
  lastOutcome: JobRunOutcome | null;
  paused: boolean;
  /** Stored, but declared by no code running here: never fires. */
  orphaned: boolean;
  /** Runs going on now, across instances. */
  activeRuns: number;
}

/** What `list()` shows of a stored job, its schedule and next run in words. */
export function jobInfo(job: StoredJob, now: number): JobInfo {
  return {
    id: job.id,
    taskName: job.taskName,
    trigger: job.trigger,
    schedule: describeTrigger(job.trigger),
    nextRunAt: job.nextRunAt === null ? null : new Date(job.nextRunAt),
    nextRunIn: job.paused
      ? 'paused'
      : job.orphaned
        ? 'never (orphaned)'
        : describeRelative(job.nextRunAt, now),
    lastRunAt: job.lastRunAt === null ? null : new Date(job.lastRunAt),
    lastOutcome: job.lastOutcome,
    paused: job.paused,
    orphaned: job.orphaned,
    activeRuns: job.activeRuns.length,
  };
}
