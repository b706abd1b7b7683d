import { describe, expect, it } from 'vitest';
import { healthJson } from '../src/health/json.js';
import { detailedTree } from '../src/health/text.js';
import { judge, unreachable } from '../src/health/verdict.js';
import { stylesFor } from '../src/io.js';
import { schemaErrors } from './helpers/schema.js';
import { instance, job, NOW, OPTIONS, snapshot } from './helpers/snapshot.js';

const plain = stylesFor({ isTTY: false }, {});

describe('errand health --detailed', () => {
  it('lists the jobs in the seed shape: "<id>: <schedule in words> → in <time>"', () => {
    const shot = snapshot();
    const lines = detailedTree(judge(shot, OPTIONS), shot, 'sqlite:./data/tasks.db', plain);
    const scheduler = lines.slice(lines.findIndex((l) => l.startsWith('✓ scheduler')));
    expect(scheduler).toEqual([
      '✓ scheduler Scheduler running with 3 jobs',
      '└─ Jobs: 3 total, 3 active, 0 paused',
      '└─ Upcoming Jobs (Next 3):',
      '   ├─ cleanup_temp: Every 6 hours → in 2h',
      '   ├─ database_backup: Daily at 2:00 AM UTC → in 5h',
      '   └─ report_gen: Weekly on Monday at 9:00 AM Europe/Berlin → in 3d',
    ]);
  });

  it('shows the store, instances, totals, oldest pending and the last hour', () => {
    const stopped = instance({
      id: 'i-0',
      pid: 4100,
      state: 'stopped',
      scheduler: null,
      expiresAt: NOW - 2 * 86_400_000,
    });
    const shot = snapshot({ instances: [stopped, instance()] });
    const lines = detailedTree(judge(shot, OPTIONS), shot, 'sqlite:./data/tasks.db', plain);
    expect(lines.slice(0, 8)).toEqual([
      '✓ store sqlite:./data/tasks.db: sqlite answered in 4ms',
      '✓ instances 1 live, 0 quiet, 1 stopped',
      '   ├─ web-1 pid 4242: live, firing scheduler, up 3h (i-1)',
      '   └─ web-1 pid 4100: stopped, last heartbeat 2d past its lease (i-0)',
      '✓ tasks 1,234 total',
      '└─ 3 pending, 1 running, 1,200 success, 30 failed, 0 interrupted, 0 cancelled, 0 rejected, 0 expired',
      '└─ Oldest pending: 12s',
      '└─ Last hour: 342 finished, 2 failed (0.6% of 342)',
    ]);
  });

  it('marks what failed, with "overdue by" and "paused" in the job lines', () => {
    const shot = snapshot({
      instances: [instance({ state: 'stopped', expiresAt: NOW - 600_000 })],
      jobs: [job('database_backup', { nextRunAt: NOW - 180_000 }), job('report_gen', { paused: true })],
    });
    const lines = detailedTree(judge(shot, OPTIONS), shot, 'sqlite:x.db', plain);
    expect(lines).toContain(
      '✗ instances no live instance: last heartbeat 10m past its lease (web-1 pid 4242)',
    );
    expect(lines).toContain(
      '✗ scheduler no live instance fires the 1 active job; database_backup overdue by 3m (grace 1m)',
    );
    expect(lines).toContain('   ├─ database_backup: Daily at 2:00 AM UTC → overdue by 3m');
    expect(lines).toContain('   └─ report_gen: Daily at 2:00 AM UTC → paused');
  });

  it('colours only when asked to (a TTY without NO_COLOR)', () => {
    expect(stylesFor({ isTTY: true }, {}).ok('✓')).toBe('\x1b[32m✓\x1b[39m');
    expect(stylesFor({ isTTY: true }, { NO_COLOR: '1' }).ok('✓')).toBe('✓');
    expect(stylesFor({ isTTY: false }, {}).ok('✓')).toBe('✓');
  });
});

describe('errand health --json', () => {
  const context = {
    store: 'sqlite:./data/tasks.db',
    backend: 'sqlite',
    latencyMs: 4,
    probe: 'readiness' as const,
    checkedAt: NOW,
  };

  it('matches schema v1, with times as ISO 8601 strings', () => {
    const shot = snapshot();
    const json = healthJson(judge(shot, OPTIONS), shot, context);
    expect(schemaErrors(json)).toEqual([]);
    expect(json).toMatchObject({
      schemaVersion: 1,
      status: 'healthy',
      counts: { success: 1200, failed: 30, pending: 3, running: 1 },
      lastHour: { success: 340, failed: 2, finished: 342 },
      oldestPendingAt: new Date(NOW - 12_000).toISOString(),
    });
    expect(json.jobs[0]).toEqual({
      id: 'cleanup_temp',
      taskName: 'job:cleanup_temp',
      schedule: 'Every 6 hours',
      nextRunAt: new Date(NOW + 2 * 3_600_000).toISOString(),
      nextRunIn: 'in 2h',
      lastRunAt: null,
      lastOutcome: null,
      paused: false,
      orphaned: false,
      overdue: false,
      activeRuns: 0,
    });
    expect(json.instances[0]).toMatchObject({ host: 'web-1', pid: 4242, state: 'live', scheduler: 'firing' });
  });

  it('still prints the whole object for an unreachable store', () => {
    const json = healthJson(unreachable('store unreachable: ECONNREFUSED'), null, {
      ...context,
      backend: null,
      latencyMs: null,
    });
    expect(schemaErrors(json)).toEqual([]);
    expect(json).toMatchObject({ status: 'unhealthy', counts: null, instances: [], jobs: [] });
  });

  it('is caught by the schema when a field goes wrong (the check can fail)', () => {
    const shot = snapshot();
    const json = healthJson(judge(shot, OPTIONS), shot, context);
    expect(schemaErrors({ ...json, status: 'ok' })).not.toEqual([]);
    expect(schemaErrors({ ...json, checkedAt: NOW })).not.toEqual([]);
    expect(schemaErrors({ ...json, jobs: [{ ...json.jobs[0], nextRunAt: 'tomorrow' }] })).not.toEqual([]);
  });
});
