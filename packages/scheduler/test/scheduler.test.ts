import { type ManagerOptions, MemoryBackend, type SnapshotBackend, TaskManager } from '@errand/core';
import { waitFor, waitForIdle } from '@errand/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DuplicateJobError,
  InvalidJobError,
  JobNotFoundError,
  Scheduler,
  type SchedulerOptions,
} from '../src/index.js';

const T0 = Date.UTC(2026, 10, 23, 0, 0, 0);
const MINUTE = 60_000;
const managers: TaskManager[] = [];

/** A manager + scheduler on a shared memory store, driven by a fake clock. */
function instance(
  store: MemoryBackend,
  clock: { now: number },
  options: SchedulerOptions = {},
  managerOptions: ManagerOptions = {},
) {
  const manager = new TaskManager({
    backend: new MemoryBackend({ sharedWith: store }),
    logger: false,
    ...managerOptions,
  });
  managers.push(manager);
  const scheduler = new Scheduler(manager, { fire: false, now: () => clock.now, ...options });
  return { manager, scheduler };
}

const idle = (manager: TaskManager) => waitForIdle(manager, 5000);

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
});

describe('Scheduler', () => {
  it('runs a due tick once, as a task with history, and computes the next run', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    const { manager, scheduler } = instance(store, clock);
    const ran: number[] = [];
    scheduler.add({
      id: 'report',
      cron: '0 2 * * *',
      fn: async (_ctx, kind: string) => ran.push(kind.length),
      args: ['full'],
    });
    await manager.start();
    const [job] = await scheduler.list();
    expect(job).toMatchObject({
      id: 'report',
      taskName: 'job:report',
      schedule: 'Daily at 2:00 AM UTC',
      nextRunIn: 'in 2h',
    });
    expect(job?.nextRunAt?.getTime()).toBe(T0 + 120 * MINUTE);
    await scheduler.tick(T0 + 60 * MINUTE);
    expect(ran).toEqual([]);
    clock.now = T0 + 120 * MINUTE;
    await scheduler.tick();
    await idle(manager);
    expect(ran).toEqual([4]);
    const history = await manager.query({ name: 'job:report' });
    expect(history.records).toHaveLength(1);
    expect(history.records[0]).toMatchObject({
      status: 'success',
      idempotencyKey: `sched:report:${T0 + 120 * MINUTE}`,
      tags: { job: 'report', trigger: 'schedule' },
    });
    const [after] = await scheduler.list();
    expect(after).toMatchObject({ lastOutcome: 'success', activeRuns: 0 });
    expect(after?.nextRunAt?.getTime()).toBe(T0 + 26 * 60 * MINUTE);
    await scheduler.tick(T0 + 121 * MINUTE);
    await idle(manager);
    expect(ran).toEqual([4]);
  });

  it('keeps the schedule across a restart and makes exactly one catch-up run by default', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    const first = instance(store, clock);
    const ran: string[] = [];
    first.scheduler.add({ id: 'every5', every: '5m', fn: async (ctx) => void ran.push(ctx.id) });
    await first.manager.start();
    const [before] = await first.scheduler.list();
    await first.manager.stop();
    // Down for 22 minutes: ticks at +5, +10, +15, +20 were due.
    clock.now = T0 + 22 * MINUTE;
    const second = instance(store, clock);
    second.scheduler.add({ id: 'every5', every: '5m', fn: async (ctx) => void ran.push(ctx.id) });
    await second.manager.start();
    const [restored] = await second.scheduler.list();
    expect(restored?.nextRunAt).toEqual(before?.nextRunAt);
    await second.scheduler.tick();
    await idle(second.manager);
    expect(ran).toHaveLength(1);
    const missed = await second.manager.query({ status: 'cancelled' });
    expect(missed.records.map((record) => record.error?.split(' (tick')[0])).toEqual(
      Array(3).fill('missed: folded into one catch-up run (coalesce)'),
    );
    const [after] = await second.scheduler.list();
    expect(after?.nextRunAt?.getTime()).toBe(T0 + 25 * MINUTE);
  });

  it('recomputes the next run without a burst when the definition changes', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    const first = instance(store, clock);
    first.scheduler.add({ id: 'job', cron: '0 * * * *', fn: async () => {} });
    await first.manager.start();
    await first.manager.stop();
    clock.now = T0 + 5 * 60 * MINUTE + 10 * MINUTE;
    const second = instance(store, clock);
    const ran: string[] = [];
    second.scheduler.add({ id: 'job', cron: '30 * * * *', fn: async (ctx) => void ran.push(ctx.id) });
    await second.manager.start();
    const [job] = await second.scheduler.list();
    expect(job?.nextRunAt?.getTime()).toBe(T0 + 5 * 60 * MINUTE + 30 * MINUTE);
    await second.scheduler.tick();
    expect(ran).toEqual([]);
  });

  it('records ticks beyond misfireGraceTime as missed, and runs each missed tick when coalesce is off', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    const { manager, scheduler } = instance(store, clock);
    const strict: string[] = [];
    const each: number[] = [];
    scheduler.add({
      id: 'strict',
      every: '1m',
      misfireGraceTime: 30_000,
      fn: async () => void strict.push('x'),
    });
    scheduler.add({
      id: 'each',
      every: '1m',
      coalesce: false,
      maxInstances: 5,
      fn: async (ctx) => void each.push(ctx.attempt),
    });
    const heard: Array<{ jobId: string; ticks: number }> = [];
    scheduler.on('missed', (info) => heard.push(info));
    await manager.start();
    clock.now = T0 + 3 * MINUTE + 10_000;
    await scheduler.tick();
    await idle(manager);
    // strict: ticks at +1m and +2m are too late, +3m is 10 s late: runs.
    expect(strict).toHaveLength(1);
    const missed = (await manager.query({ status: 'cancelled', name: 'job:strict' })).records;
    expect(missed.map((record) => record.error?.split(' (tick')[0])).toEqual([
      'missed: ran 70000 ms late, beyond misfireGraceTime 30000 ms',
      'missed: ran 130000 ms late, beyond misfireGraceTime 30000 ms',
    ]);
    expect(each).toHaveLength(3);
    // Metrics count missed ticks from this event (only the job that missed any).
    expect(heard).toEqual([{ jobId: 'strict', ticks: 2 }]);
  });

  it('holds maxInstances across instances: an overlapping tick is skipped and recorded', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const a = instance(store, clock);
    const b = instance(store, clock);
    for (const { scheduler } of [a, b]) scheduler.add({ id: 'slow', every: '1m', fn: async () => gate });
    await Promise.all([a.manager.start(), b.manager.start()]);
    clock.now = T0 + MINUTE;
    await a.scheduler.tick();
    expect(a.manager.stats().running).toBe(1);
    clock.now = T0 + 2 * MINUTE;
    await b.scheduler.tick();
    expect(b.manager.stats().running).toBe(0);
    const skipped = (await b.manager.query({ status: 'cancelled' })).records;
    expect(skipped[0]?.error).toMatch(/^skipped: 1 run\(s\) still going \(maxInstances 1\)/);
    expect((await b.scheduler.list())[0]?.lastOutcome).toBe('skipped');
    release();
    await idle(a.manager);
    clock.now = T0 + 3 * MINUTE;
    await b.scheduler.tick();
    await idle(b.manager);
    expect((await b.manager.counts({ name: 'job:slow' })).success).toBe(2);
  });

  it('does not let a run of a dead instance block later ticks', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    const a = instance(store, clock);
    const ran: string[] = [];
    a.scheduler.add({ id: 'job', every: '1m', fn: async (ctx) => void ran.push(ctx.id) });
    await a.manager.start();
    // A run recorded as active, whose task ended as interrupted elsewhere.
    const [job] = await store.schedules.list();
    const ghost = a.manager.createRecord('job:job', [], {});
    ghost.status = 'interrupted';
    ghost.owner = 'dead';
    await store.write([ghost]);
    await store.schedules.claimTick({
      jobId: 'job',
      expectedNextRunAt: job!.nextRunAt!,
      nextRunAt: job!.nextRunAt!,
      activeRuns: [ghost.id],
      lastRunAt: job!.nextRunAt!,
      lastOutcome: null,
      tasks: [],
    });
    clock.now = T0 + MINUTE;
    await a.scheduler.tick();
    await idle(a.manager);
    expect(ran).toHaveLength(1);
  });

  it('pauses, resumes and runs now from any instance; a pause survives a restart', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    const a = instance(store, clock);
    const b = instance(store, clock);
    const ran: string[] = [];
    for (const { scheduler } of [a, b])
      scheduler.add({ id: 'job', every: '1m', fn: async (ctx) => void ran.push(ctx.id) });
    await Promise.all([a.manager.start(), b.manager.start()]);
    await a.scheduler.pause('job');
    clock.now = T0 + MINUTE;
    await b.scheduler.tick();
    expect(ran).toEqual([]);
    expect((await b.scheduler.list())[0]).toMatchObject({ paused: true, nextRunIn: 'paused' });
    const manual = await b.scheduler.runNow('job');
    await idle(b.manager);
    expect(ran).toEqual([manual]);
    // run-now did not consume the scheduled tick.
    expect((await b.scheduler.list())[0]?.nextRunAt?.getTime()).toBe(T0 + MINUTE);
    await a.manager.stop();
    const c = instance(store, clock);
    c.scheduler.add({ id: 'job', every: '1m', fn: async (ctx) => void ran.push(ctx.id) });
    await c.manager.start();
    expect((await c.scheduler.list())[0]?.paused).toBe(true);
    await c.scheduler.resume('job');
    await b.scheduler.tick();
    await idle(b.manager);
    expect(ran).toHaveLength(2);
    await expect(c.scheduler.pause('nope')).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(c.scheduler.runNow('nope')).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('flags stored jobs that code no longer declares as orphans, which never fire', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    const first = instance(store, clock);
    first.scheduler.add({ id: 'old', every: '1m', fn: async () => {} });
    first.scheduler.add({ id: 'kept', every: '1m', fn: async () => {} });
    await first.manager.start();
    await first.manager.stop();
    const second = instance(store, clock);
    second.scheduler.add({ id: 'kept', every: '1m', fn: async () => {} });
    await second.manager.start();
    const jobs = await second.scheduler.list();
    expect(jobs.map((job) => [job.id, job.orphaned, job.nextRunIn])).toEqual([
      ['kept', false, 'in 1m'],
      ['old', true, 'never (orphaned)'],
    ]);
    expect((await second.scheduler.next(5)).map((job) => job.id)).toEqual(['kept']);
    await second.scheduler.remove('old');
    expect((await second.scheduler.list()).map((job) => job.id)).toEqual(['kept']);
  });

  it('rejects invalid definitions with typed errors that name the job', () => {
    const manager = new TaskManager({ logger: false });
    managers.push(manager);
    const scheduler = new Scheduler(manager);
    const bad: Array<[Parameters<Scheduler['add']>[0], RegExp]> = [
      [{ id: 'a', cron: '61 * * * *', fn: async () => {} }, /job "a": invalid cron "61 \* \* \* \*"/],
      [
        { id: 'b', cron: '0 2 * * *', timezone: 'Mars/Olympus', fn: async () => {} },
        /job "b": invalid time zone "Mars\/Olympus"/,
      ],
      [{ id: 'c', every: '5 parsecs', fn: async () => {} }, /job "c": every: "5 parsecs" is not an interval/],
      [{ id: 'd', every: 10, fn: async () => {} }, /job "d": every: the interval must be .* at least 1000/],
      [{ id: 'e', at: 'not a date', fn: async () => {} }, /job "e": at: not a valid date/],
      [{ id: 'f', fn: async () => {} }, /job "f": give exactly one of cron, every or at/],
      [
        { id: 'g', cron: '* * * * *', every: '1m', fn: async () => {} },
        /job "g": give exactly one of cron, every or at/,
      ],
      [{ id: 'h', cron: '* * * * *' }, /job "h": give exactly one of task or fn/],
      [
        { id: 'i', cron: '* * * * *', args: [new Date()], fn: async () => {} },
        /job "i": args\[0\] is a Date instance/,
      ],
      [{ id: 'j', cron: '* * * * *', maxInstances: 0, fn: async () => {} }, /job "j": maxInstances/],
    ];
    for (const [definition, message] of bad) {
      expect(() => scheduler.add(definition)).toThrow(InvalidJobError);
      expect(() => scheduler.add(definition)).toThrow(message);
    }
    scheduler.add({ id: 'ok', every: '1h', fn: async () => {} });
    expect(() => scheduler.add({ id: 'ok', every: '2h', name: 'other', fn: async () => {} })).toThrow(
      DuplicateJobError,
    );
    expect(() => scheduler.add({ id: 'k', every: '1h', task: 'undefined.task' })).toThrow(
      /no task named "undefined.task"/,
    );
  });
});

describe('Scheduler attached late', () => {
  it('starts at once on a running manager, and reports a failed start instead of dropping it', async () => {
    const store = new MemoryBackend();
    const manager = new TaskManager({ backend: store, logger: false });
    managers.push(manager);
    await manager.start();
    const ok = new Scheduler(manager, { fire: false });
    ok.add({ id: 'late', every: '1h', fn: async () => {} });
    await waitFor(async () => (await store.schedules.list()).length === 1, 2000, 'the late job to be stored');

    const noSchedules = new Proxy(new MemoryBackend(), {
      get(target, property) {
        if (property === 'schedules') return undefined;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const other = new TaskManager({ backend: noSchedules, logger: false });
    managers.push(other);
    await other.start();
    const warnings: string[] = [];
    new Scheduler(other, {
      logger: { debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} },
    });
    await waitFor(() => warnings.length > 0, 2000, 'the failed start to be reported');
    expect(warnings).toEqual(['start failed']);
  });
});

describe('Scheduler with a live loop', () => {
  it('keeps looping through a store outage and fires each tick once when it returns', async () => {
    const store = new MemoryBackend();
    let down = false;
    const backend = new Proxy(new MemoryBackend({ sharedWith: store }), {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property === 'schedules') {
          return new Proxy(value as object, {
            get(schedules, name) {
              const method = Reflect.get(schedules, name, schedules);
              return typeof method === 'function'
                ? (...args: unknown[]) =>
                    down ? Promise.reject(new Error('store down')) : method.apply(schedules, args)
                : method;
            },
          });
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as SnapshotBackend;
    const manager = new TaskManager({ backend, logger: false });
    managers.push(manager);
    const warnings: string[] = [];
    const scheduler = new Scheduler(manager, {
      pollInterval: 20,
      logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} },
    });
    const ran: string[] = [];
    scheduler.add({ id: 'tick', cron: '* * * * * *', fn: async (ctx) => void ran.push(ctx.idempotencyKey!) });
    await manager.start();
    await waitFor(() => ran.length >= 2, 5000, 'two ticks');
    down = true;
    await waitFor(() => warnings.length >= 2, 5000, 'failed iterations');
    const duringOutage = ran.length;
    down = false;
    await waitFor(() => ran.length >= duringOutage + 2, 10_000, 'ticks after the outage');
    expect(new Set(ran).size).toBe(ran.length);
    expect(warnings[0]).toBe('tick failed; will retry');
  });
});
