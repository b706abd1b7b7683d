import { type Overview, SERIES_WINDOWS, type SeriesWindow } from '@errand/core';
import { badRequest, jsonResponse } from '../http/responses.js';
import type { RouteContext } from './context.js';
import { type JobView, listJobs } from './jobs-routes.js';

/** A job overdue by this much means no instance fires the schedule. */
const NOT_TICKING_AFTER_MS = 90_000;

/** Something the page shows loudly: the fleet cannot do its work as it is. */
export interface Alert {
  code: 'NO_LIVE_INSTANCE' | 'BACKEND_DOWN' | 'SCHEDULER_NOT_TICKING';
  message: string;
}

/** What is wrong, if anything: no live instance, the store down, or a schedule nobody fires. */
export function alertsFor(overview: Overview, jobs: JobView[] | null, now: number): Alert[] {
  const alerts: Alert[] = [];
  if (!overview.instances.some((instance) => instance.health === 'live')) {
    alerts.push({ code: 'NO_LIVE_INSTANCE', message: 'no instance has a live heartbeat' });
  }
  if (!overview.backend.healthy) {
    alerts.push({
      code: 'BACKEND_DOWN',
      message: `the ${overview.backend.name} store is not answering this instance`,
    });
  }
  const overdue = (jobs ?? []).filter(
    (job) =>
      !job.paused && !job.orphaned && job.nextRunAt !== null && now - job.nextRunAt > NOT_TICKING_AFTER_MS,
  );
  if (overdue.length > 0) {
    alerts.push({
      code: 'SCHEDULER_NOT_TICKING',
      message: `${overdue.length} job(s) overdue by more than ${NOT_TICKING_AFTER_MS / 1000} s: ${overdue
        .slice(0, 3)
        .map((job) => job.id)
        .join(', ')}`,
    });
  }
  return alerts;
}

/**
 * `GET /api/overview`: totals, throughput over the last hour, the oldest
 * pending task's age, instances, store health, and any alert.
 */
export async function getOverview(context: RouteContext): Promise<Response> {
  const { manager } = context.options;
  const [overview, jobs] = await Promise.all([manager.overview(), listJobs(context).catch(() => null)]);
  const now = Date.now();
  return jsonResponse({
    // The core already adds this instance's pending and running work the store has not seen yet.
    counts: overview.counts,
    throughput: {
      perMinute: overview.throughputPerMinute,
      lastHour: overview.lastHour,
      successRate: overview.successRate,
      failedLastHour: overview.lastHour.failed,
    },
    oldestPendingAgeMs: overview.oldestPendingAgeMs,
    instances: overview.instances,
    backend: overview.backend,
    alerts: alertsFor(overview, jobs, now),
    instanceId: manager.instanceId,
    now,
  });
}

/** `GET /api/instances`: every heartbeat row, live / quiet / stopped. */
export async function getInstances(context: RouteContext): Promise<Response> {
  const overview = await context.options.manager.overview();
  return jsonResponse(overview.instances);
}

/** `GET /api/series?window=1h|24h|7d`: finished tasks per bucket and status, durations per name. */
export async function getSeries(context: RouteContext): Promise<Response> {
  const window = context.url.searchParams.get('window') ?? '1h';
  if (!Object.hasOwn(SERIES_WINDOWS, window)) {
    throw badRequest(`window must be one of ${Object.keys(SERIES_WINDOWS).join(', ')}`);
  }
  return jsonResponse(await context.options.manager.series({ window: window as SeriesWindow }));
}
