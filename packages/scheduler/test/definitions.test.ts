import { MemoryBackend, newTaskId, TaskManager } from '@errand/core';
import { makeRecord, waitForIdle } from '@errand/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidJobError, Scheduler } from '../src/index.js';

const T0 = Date.UTC(2026, 10, 23, 0, 0, 0);
const MINUTE = 60_000;
const managers: TaskManager[] = [];

function instance(store: MemoryBackend, clock: { now: number }) {
  const manager = new TaskManager({ backend: new MemoryBackend({ sharedWith: store }), logger: false });
  managers.push(manager);
  const scheduler = new Scheduler(manager, { fire: false, now: () => clock.now });
  return { manager, scheduler };
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
});

describe('job definitions that could never fire', () => {
  it('are refused at add(): a cron with no such date, an interval past the Date range, an empty zone', () => {
    const { scheduler } = instance(new MemoryBackend(), { now: T0 });
    const fn = async () => {};
    expect(() => scheduler.add({ id: 'feb30', cron: '0 0 30 2 *', fn })).toThrow(
      /job "feb30": cron "0 0 30 2 \*" never fires/,
    );
    expect(() => scheduler.add({ id: 'far', every: 1e16, fn })).toThrow(/reaches past the range of a Date/);
    expect(() => scheduler.add({ id: 'zone', cron: '0 2 * * *', timezone: '', fn })).toThrow(InvalidJobError);
    expect(() => scheduler.add({ id: 'zone2', cron: '0 2 * * *', timezone: '   ', fn })).toThrow(/IANA zone/);
    // A valid leap-day cron is fine: it does fire, once every four years.
    expect(() => scheduler.add({ id: 'leap', cron: '0 0 29 2 *', fn })).not.toThrow();
  });
});

describe('a one-off job whose time has passed', () => {
  it('runs once at start when its misfire grace allows, and stays done across restarts', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    const first = instance(store, clock);
    const ran: string[] = [];
    const job = { id: 'migrate', at: T0 - 10 * MINUTE, fn: async () => void ran.push('run') };
    first.scheduler.add(job);
    await first.manager.start();
    expect((await first.scheduler.list())[0]?.nextRunAt?.getTime()).toBe(T0 - 10 * MINUTE);
    await first.scheduler.tick();
    await waitForIdle(first.manager, 5000, 50);
    expect(ran).toEqual(['run']);
    await first.manager.stop();

    clock.now = T0 + 60 * MINUTE;
    const second = instance(store, clock);
    second.scheduler.add(job);
    await second.manager.start();
    await second.scheduler.tick();
    await waitForIdle(second.manager, 5000, 50);
    expect(ran).toEqual(['run']);
    expect((await second.scheduler.list())[0]).toMatchObject({ nextRunAt: null, lastOutcome: 'success' });
  });

  it('is refused at start, with a clear error, beyond its misfire grace; the manager is left stopped', async () => {
    const { manager, scheduler } = instance(new MemoryBackend(), { now: T0 });
    scheduler.add({ id: 'late', at: T0 - 10 * MINUTE, misfireGraceTime: MINUTE, fn: async () => {} });
    await expect(manager.start()).rejects.toThrow(/job "late": at .* is 600 s past, beyond misfireGraceTime/);
    expect(manager.state).toBe('stopped');
  });
});

describe('a tick whose run key is already held', () => {
  it('is not run again, and does not count against maxInstances', async () => {
    const store = new MemoryBackend();
    const clock = { now: T0 };
    const { manager, scheduler } = instance(store, clock);
    const ran: number[] = [];
    scheduler.add({ id: 'beat', cron: '*/5 * * * *', fn: async () => void ran.push(clock.now) });
    await manager.start();
    // Another path already stored this tick's run (a restored backup, a replayed write).
    const tick = T0 + 5 * MINUTE;
    const holder = makeRecord({
      id: newTaskId(tick),
      name: 'job:beat',
      status: 'success',
      idempotencyKey: `sched:beat:${tick}`,
    });
    await new MemoryBackend({ sharedWith: store }).write([holder]);
    clock.now = tick;
    await scheduler.tick();
    await waitForIdle(manager, 5000, 50);
    expect(ran).toEqual([]);
    expect((await scheduler.list())[0]).toMatchObject({ activeRuns: 0 });
    expect((await manager.query({ name: 'job:beat' })).records.map((r) => r.id)).toEqual([holder.id]);
    clock.now = T0 + 10 * MINUTE;
    await scheduler.tick();
    await waitForIdle(manager, 5000, 50);
    expect(ran).toEqual([T0 + 10 * MINUTE]);
  });
});
