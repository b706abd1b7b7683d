import { emptyCounts } from '@errand/core';
import { describe, expect, it } from 'vitest';
import { judge, judgeLiveness, unreachable } from '../src/health/verdict.js';
import { instance, job, NOW, OPTIONS, snapshot } from './helpers/snapshot.js';

const check = (verdict: ReturnType<typeof judge>, name: string) =>
  verdict.checks.find((c) => c.name === name);

describe('the health verdict', () => {
  it('is healthy with a live firing instance and every job on time, and says so in one line', () => {
    const verdict = judge(snapshot(), OPTIONS);
    expect(verdict.status).toBe('healthy');
    expect(verdict.summary).toMatch(/^healthy: store sqlite answered in 4ms; 1 live instance; 3 active jobs/);
    expect(verdict.summary).not.toContain('\n');
  });

  it('is unhealthy without any live instance, naming the last one seen', () => {
    const dead = instance({ state: 'stopped', expiresAt: NOW - 120_000 });
    const verdict = judge(snapshot({ instances: [dead] }), OPTIONS);
    expect(verdict.status).toBe('unhealthy');
    expect(verdict.summary).toMatch(
      /^unhealthy: no live instance: last heartbeat 2m past its lease \(web-1 pid 4242\)/,
    );
    expect(judge(snapshot({ instances: [], jobs: [] }), OPTIONS).summary).toMatch(/none has registered/);
  });

  it('is degraded when an instance went quiet while another lives', () => {
    const quiet = instance({ id: 'i-2', pid: 77, state: 'quiet', expiresAt: NOW - 12_000 });
    const verdict = judge(snapshot({ instances: [instance(), quiet] }), OPTIONS);
    expect(verdict.status).toBe('degraded');
    expect(verdict.summary).toBe('degraded: 1 live instance; gone quiet: web-1 pid 77 quiet 12s');
  });

  it('is unhealthy when active jobs are stored but no live instance fires them', () => {
    const passive = instance({ scheduler: 'passive' });
    const verdict = judge(snapshot({ instances: [passive] }), OPTIONS);
    expect(verdict.status).toBe('unhealthy');
    expect(check(verdict, 'scheduler')).toMatchObject({
      status: 'fail',
      message: 'no live instance fires the 3 active jobs',
    });
    // With every job paused, nobody needs to fire them.
    const paused = snapshot({ instances: [passive], jobs: [job('a', { paused: true })] });
    expect(judge(paused, OPTIONS).status).toBe('healthy');
  });

  it('only warns while a just-started instance has not yet published its scheduler role', () => {
    const starting = instance({ scheduler: null, settling: true, startedAt: NOW - 800 });
    const verdict = judge(snapshot({ instances: [starting] }), OPTIONS);
    expect(verdict.status).toBe('degraded');
    expect(verdict.summary).toBe(
      'degraded: no live instance fires the 3 active jobs yet: web-1 pid 4242 started 800ms ago and has not said whether it does',
    );
    // Once it has settled, no role means no scheduler.
    expect(judge(snapshot({ instances: [instance({ scheduler: null })] }), OPTIONS).status).toBe('unhealthy');
  });

  it('calls a job overdue only beyond max(60 s, misfireGraceTime)', () => {
    const late = (ms: number, grace: number | null = null) =>
      judge(
        snapshot({
          jobs: [job('database_backup', { nextRunAt: NOW - ms, options: { misfireGraceTime: grace } })],
        }),
        OPTIONS,
      );
    expect(late(59_000).status).toBe('healthy');
    const overdue = late(3 * 60_000);
    expect(overdue.status).toBe('unhealthy');
    expect(overdue.summary).toBe('unhealthy: database_backup overdue by 3m (grace 1m)');
    expect(late(3 * 60_000, 5 * 60_000).status).toBe('healthy');
    expect(late(6 * 60_000, 5 * 60_000).summary).toMatch(/overdue by 6m \(grace 5m\)/);
    // A paused or orphaned job is never overdue: it is not supposed to fire.
    const quietJobs = [
      job('p', { paused: true, nextRunAt: NOW - 3_600_000 }),
      job('o', { orphaned: true, nextRunAt: NOW - 3_600_000 }),
    ];
    expect(judge(snapshot({ jobs: quietJobs }), OPTIONS).status).toBe('healthy');
  });

  it('never changes for failed tasks alone, without thresholds', () => {
    const failing = snapshot({ lastHour: { ...emptyCounts(), success: 1, failed: 99 } });
    expect(judge(failing, OPTIONS).status).toBe('healthy');
  });

  it('holds --max-failure-rate over the last hour: warns when close, fails past it', () => {
    const rate = (failed: number) =>
      judge(snapshot({ lastHour: { ...emptyCounts(), success: 100 - failed, failed } }), {
        ...OPTIONS,
        maxFailureRate: 0.1,
      });
    expect(rate(5).status).toBe('healthy');
    expect(rate(9).status).toBe('degraded');
    const failed = rate(20);
    expect(failed.status).toBe('unhealthy');
    expect(failed.summary).toBe('unhealthy: 20% failed in the last hour, 20 of 100 (max 10%)');
  });

  it('holds --max-pending-age', () => {
    const age = (ms: number | null) =>
      judge(snapshot({ oldestPendingAt: ms === null ? null : NOW - ms }), {
        ...OPTIONS,
        maxPendingAgeMs: 60_000,
      });
    expect(age(null).status).toBe('healthy');
    expect(age(10_000).status).toBe('healthy');
    expect(age(55_000).status).toBe('degraded');
    expect(age(5 * 60_000).summary).toBe('unhealthy: oldest pending task waits 5m (max 1m)');
  });

  it('warns when the store takes more than half the timeout to answer', () => {
    expect(judge(snapshot({ latencyMs: 3000 }), OPTIONS).summary).toBe(
      'degraded: store slow: sqlite answered in 3s (timeout 5s)',
    );
  });

  it('asks only whether the store answers for --probe liveness', () => {
    const verdict = judgeLiveness({ backend: 'postgres', latencyMs: 12 }, OPTIONS);
    expect(verdict).toMatchObject({ status: 'healthy', summary: 'healthy: store postgres answered in 12ms' });
    expect(verdict.checks).toHaveLength(1);
  });

  it('reports an unreachable store as unhealthy with the reason', () => {
    expect(unreachable('store unreachable: connect ECONNREFUSED').summary).toBe(
      'unhealthy: store unreachable: connect ECONNREFUSED',
    );
  });

  it('keeps the verdict line short (Docker keeps 4 KB of output)', () => {
    const many = Array.from({ length: 100 }, (_, i) =>
      job(`job_with_a_long_name_${i}`, { nextRunAt: NOW - 3_600_000 }),
    );
    expect(judge(snapshot({ jobs: many }), OPTIONS).summary.length).toBeLessThanOrEqual(300);
  });
});
