import { emptyCounts, type StoredJob } from '@errand/core';
import * as words from '@errand/scheduler';
import type { HealthSnapshot, InstanceView } from '../../src/health/snapshot.js';
import { byNextRun, viewJob } from '../../src/jobs/view.js';

export const NOW = Date.parse('2026-11-22T21:00:00Z');

export function instance(overrides: Partial<InstanceView> = {}): InstanceView {
  return {
    id: 'i-1',
    host: 'web-1',
    pid: 4242,
    state: 'live',
    scheduler: 'firing',
    startedAt: NOW - 3 * 3_600_000,
    expiresAt: NOW + 10_000,
    settling: false,
    ...overrides,
  };
}

export function job(id: string, overrides: Partial<StoredJob> = {}): StoredJob {
  return {
    id,
    taskName: `job:${id}`,
    trigger: { kind: 'cron', expression: '0 2 * * *', timezone: 'UTC' },
    definitionHash: 'h',
    options: { misfireGraceTime: null },
    nextRunAt: NOW + 5 * 3_600_000,
    lastRunAt: null,
    lastOutcome: null,
    paused: false,
    orphaned: false,
    activeRuns: [],
    updatedAt: NOW,
    ...overrides,
  };
}

/** The seed's three jobs: database_backup, cleanup_temp, report_gen. */
export function seedJobs(): StoredJob[] {
  return [
    job('database_backup'),
    job('cleanup_temp', {
      trigger: { kind: 'every', intervalMs: 6 * 3_600_000, anchor: NOW },
      nextRunAt: NOW + 2 * 3_600_000,
    }),
    job('report_gen', {
      trigger: { kind: 'cron', expression: '0 9 * * 1', timezone: 'Europe/Berlin' },
      nextRunAt: NOW + 3 * 86_400_000,
    }),
  ];
}

/** A snapshot as collect() makes it; `jobs` are given as stored and viewed here. */
export function snapshot(
  overrides: Partial<Omit<HealthSnapshot, 'jobs'>> & { jobs?: StoredJob[] } = {},
): HealthSnapshot {
  const { jobs = seedJobs(), ...rest } = overrides;
  return {
    backend: 'sqlite',
    latencyMs: 4,
    now: NOW,
    instances: [instance()],
    counts: { ...emptyCounts(), success: 1200, failed: 30, pending: 3, running: 1 },
    lastHour: { ...emptyCounts(), success: 340, failed: 2 },
    oldestPendingAt: NOW - 12_000,
    ...rest,
    jobs: jobs.map((stored) => viewJob(stored, rest.now ?? NOW, words)).sort(byNextRun),
  };
}

export const OPTIONS = { maxPendingAgeMs: null, maxFailureRate: null, timeoutMs: 5000 };
