import type { JobRunOutcome, StoredTrigger } from '@errand/core';
import { HttpError } from '../errors.js';
import { jsonResponse } from '../http/responses.js';
import { logAction, type RouteContext } from './context.js';

/** A scheduled job as the API shows it (times in epoch ms). */
export interface JobView {
  id: string;
  taskName: string;
  /** The trigger in words, zone included: "Daily at 2:00 AM UTC". */
  schedule: string;
  /** IANA zone of a cron job; null for intervals and one-off dates. */
  timezone: string | null;
  trigger: StoredTrigger;
  nextRunAt: number | null;
  /** "in 5h", "overdue by 2m", "paused"... */
  nextRunIn: string;
  lastRunAt: number | null;
  /** How the last tick ended, `missed` / `skipped` included. */
  lastOutcome: JobRunOutcome | null;
  paused: boolean;
  orphaned: boolean;
  activeRuns: number;
  /** Ticks in history that did not run: too late (`missed`) or `maxInstances` busy (`skipped`). */
  missedRuns?: number;
  skippedRuns?: number;
}

/** Tasks in history carrying these tags (the scheduler tags each run with its job and trigger). */
async function countTagged(context: RouteContext, tags: Record<string, string>): Promise<number> {
  const counts = await context.options.manager.counts({ tags });
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

function noScheduler(): HttpError {
  return new HttpError(404, 'ERR_NO_SCHEDULER', 'this dashboard was created without a scheduler');
}

export async function listJobs(context: RouteContext, withHistory = false): Promise<JobView[]> {
  const scheduler = context.options.scheduler;
  if (!scheduler) return [];
  const jobs = await scheduler.list();
  const views: JobView[] = jobs.map((job) => ({
    id: job.id,
    taskName: job.taskName,
    schedule: job.schedule,
    timezone: job.trigger.kind === 'cron' ? job.trigger.timezone : null,
    trigger: job.trigger,
    nextRunAt: job.nextRunAt?.getTime() ?? null,
    nextRunIn: job.nextRunIn,
    lastRunAt: job.lastRunAt?.getTime() ?? null,
    lastOutcome: job.lastOutcome,
    paused: job.paused,
    orphaned: job.orphaned,
    activeRuns: job.activeRuns,
  }));
  if (withHistory) {
    await Promise.all(
      views.map(async (view) => {
        [view.missedRuns, view.skippedRuns] = await Promise.all([
          countTagged(context, { job: view.id, trigger: 'missed' }),
          countTagged(context, { job: view.id, trigger: 'skipped' }),
        ]);
      }),
    );
  }
  return views;
}

/** `GET /api/jobs`: every stored job with its schedule in words and its next run. */
export async function getJobs(context: RouteContext): Promise<Response> {
  return jsonResponse(await listJobs(context, true));
}

/** `POST /api/jobs/:id/pause|resume|run`. */
export async function jobAction(context: RouteContext): Promise<Response> {
  const scheduler = context.options.scheduler;
  if (!scheduler) throw noScheduler();
  const id = context.params.id!;
  const action = context.params.action!;
  if (action === 'pause') await scheduler.pause(id);
  else if (action === 'resume') await scheduler.resume(id);
  else {
    const taskId = await scheduler.runNow(id);
    logAction(context, 'run job', { jobId: id, taskId });
    return jsonResponse({ ok: true, taskId });
  }
  logAction(context, `${action} job`, { jobId: id });
  return jsonResponse({ ok: true });
}
