import type { Overview } from '@errand/core';
import { describe, expect, it } from 'vitest';
import { alertsFor } from '../src/api/fleet-routes.js';
import type { JobView } from '../src/api/jobs-routes.js';

const NOW = 1_800_000_000_000;

function overview(health: 'live' | 'quiet' | 'stopped', healthy: boolean): Overview {
  return {
    instances: [{ id: 'a', expiresAt: NOW, startedAt: NOW - 1000, meta: {}, health }],
    backend: { name: 'sqlite', healthy },
  } as unknown as Overview;
}

function job(nextRunAt: number | null, extra: Partial<JobView> = {}): JobView {
  return {
    id: 'nightly',
    taskName: 'job:nightly',
    schedule: 'Daily at 2:00 AM UTC',
    timezone: 'UTC',
    trigger: { kind: 'cron', expression: '0 2 * * *', timezone: 'UTC' },
    nextRunAt,
    nextRunIn: '',
    lastRunAt: null,
    lastOutcome: null,
    paused: false,
    orphaned: false,
    activeRuns: 0,
    ...extra,
  };
}

describe('the loud badge', () => {
  it('stays quiet when the fleet is fine', () => {
    expect(alertsFor(overview('live', true), [job(NOW + 60_000), job(NOW - 30_000)], NOW)).toEqual([]);
  });

  it('names each problem: no live instance, the store down, a schedule nobody fires', () => {
    const alerts = alertsFor(overview('quiet', false), [job(NOW - 5 * 60_000)], NOW);
    expect(alerts.map((a) => a.code)).toEqual(['NO_LIVE_INSTANCE', 'BACKEND_DOWN', 'SCHEDULER_NOT_TICKING']);
    expect(alerts[2]!.message).toContain('nightly');
  });

  it('does not count paused or orphaned jobs as overdue', () => {
    const jobs = [job(NOW - 600_000, { paused: true }), job(NOW - 600_000, { orphaned: true })];
    expect(alertsFor(overview('live', true), jobs, NOW)).toEqual([]);
  });
});
