import { normalizeQuery, type TaskContext } from '../index.js';
import { type ConformanceTarget, makeRecord, sleep, waitFor } from './fixtures.js';
import { useManagers } from './manager-harness.js';
import { suite, type TestApi } from './test-api.js';

/** Resolves when the task's signal aborts: a task that runs until interrupted. */
function untilAborted(ctx: TaskContext): Promise<never> {
  return new Promise((_, reject) => {
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
  });
}

/**
 * Cases that run real managers over the backend: history across restarts,
 * immediate flushes, recovery, two managers sharing work, takeover.
 */
export function managerCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: managers sharing the store`, () => {
    const h = useManagers(target, t);
    const manager = h.manager;

    it('keeps finished history, logs and results across a clean restart (snapshot mode)', async () => {
      const first = manager({ snapshotInterval: 60_000, instanceId: 'first' });
      const work = first.define('work', async (ctx, n: number) => {
        ctx.log('working', { n });
        ctx.progress(100);
        if (n === 3) throw new Error(`bad input ${n}`);
        return { doubled: n * 2 };
      });
      await first.start();
      const ids = await Promise.all([1, 2, 3, 4].map((n) => work.enqueue([n])));
      await waitFor(() => first.stats().running + first.stats().queued === 0, 5000, 'tasks to finish');
      await first.stop();

      const second = manager({ instanceId: 'second' });
      second.define('work', async () => null);
      await second.start();
      const page = await second.query({ name: 'work' });
      expect(page.records.map((record) => record.id).sort()).toEqual(ids.slice().sort());
      const failed = await second.get(ids[2]!);
      expect(failed).toMatchObject({ status: 'failed', error: 'bad input 3', attempt: 1, progress: 100 });
      expect(failed?.stack).toContain('bad input 3');
      const ok = await second.get(ids[0]!);
      expect(ok).toMatchObject({ status: 'success', result: { doubled: 2 }, args: [1] });
      expect(ok?.logs).toEqual([expect.objectContaining({ message: 'working', fields: { n: 1 } })]);
      expect((await second.counts({ name: 'work' })).success).toBe(3);
      expect(second.list({ status: 'success' }).records).toHaveLength(3);
    });

    it('flushes success and failure at once, without waiting for the interval', async () => {
      const app = manager({ snapshotInterval: 60_000 });
      const ok = app.define('ok', async () => 'fine');
      const bad = app.define('bad', async () => {
        throw new Error('nope');
      });
      await app.start();
      const reader = h.store.connect();
      await reader.open({ logger: console });
      try {
        const [okId, badId] = await Promise.all([ok.enqueue(), bad.enqueue()]);
        await waitFor(
          async () =>
            (await reader.get(okId))?.status === 'success' && (await reader.get(badId))?.status === 'failed',
          3000,
          'finished records in the store',
        );
      } finally {
        await reader.close();
      }
    });

    it('saves pending and running tasks at stop and re-dispatches them at the next start', async () => {
      const first = manager({ snapshotInterval: 60_000, instanceId: 'first' });
      first.define('slow', untilAborted, { requeueOnInterrupt: false });
      first.define('slowIdempotent', untilAborted, { requeueOnInterrupt: true });
      const later = first.define('later', async () => 'ran');
      await first.start();
      const slow = await first.enqueue('slow');
      const slowIdempotent = await first.enqueue('slowIdempotent');
      const delayed = await later.enqueue([], { delay: 400 });
      await waitFor(() => first.stats().running === 2, 3000, 'two running tasks');
      await first.stop({ timeout: 50 });

      const ran: string[] = [];
      const second = manager({ instanceId: 'second' });
      second.define('slow', async (ctx) => void ran.push(ctx.id));
      second.define('slowIdempotent', async (ctx) => void ran.push(ctx.id));
      second.define('later', async (ctx) => void ran.push(ctx.id));
      await second.start();
      await waitFor(() => ran.length === 2, 5000, 'requeued and delayed tasks to run');
      expect(ran.sort()).toEqual([slowIdempotent, delayed].sort());
      expect(await second.get(slow)).toMatchObject({ status: 'interrupted', owner: 'first' });
      expect(await second.get(slowIdempotent)).toMatchObject({
        status: 'success',
        owner: 'second',
        attempt: 2,
      });
      const delayedRecord = await second.get(delayed);
      expect(delayedRecord?.status).toBe('success');
      expect(delayedRecord!.startedAt!).toBeGreaterThanOrEqual(delayedRecord!.runAt);
    });

    it('stores a durable task before enqueue() resolves', async () => {
      const app = manager({ durability: 'durable' });
      const gate = { open: () => {} };
      const opened = new Promise<void>((resolve) => {
        gate.open = resolve;
      });
      const job = app.define('job', async () => opened);
      await app.start();
      const reader = h.store.connect();
      await reader.open({ logger: console });
      try {
        const ids = await Promise.all(Array.from({ length: 50 }, () => job.enqueue()));
        for (const id of ids) {
          const stored = await reader.get(id);
          expect(stored?.status === 'pending' || stored?.status === 'running').toBe(true);
        }
        gate.open();
        await waitFor(
          async () => (await reader.counts(normalizeQuery())).success === 50,
          5000,
          'all stored as success',
        );
      } finally {
        await reader.close();
      }
    });

    it('recovers unfinished tasks of a dead instance at start, by the recovery rules', async () => {
      const seed = h.store.connect();
      await seed.open({ logger: console });
      const names = { name: 'recover' };
      const pending = makeRecord({ ...names, owner: 'dead', status: 'pending', args: ['p'] });
      const running = makeRecord({ ...names, owner: 'dead', status: 'running', attempt: 1, args: ['r'] });
      const runningIdempotent = makeRecord({
        ...names,
        owner: 'dead',
        status: 'running',
        attempt: 1,
        requeueOnInterrupt: true,
        args: ['ri'],
      });
      await seed.write([pending, running, runningIdempotent]);
      await seed.close();

      const ran: string[] = [];
      const interrupted: string[] = [];
      const app = manager({ instanceId: 'heir' });
      app.define('recover', async (_ctx, tag: string) => void ran.push(tag));
      app.on('interrupted', (task) => interrupted.push(task.id));
      await app.start();
      await waitFor(() => ran.length === 2, 5000, 'recovered tasks to run');
      expect(ran.sort()).toEqual(['p', 'ri']);
      expect(interrupted).toEqual([running.id]);
      expect(await app.get(running.id)).toMatchObject({ status: 'interrupted', owner: 'heir' });
      expect(await app.get(runningIdempotent.id)).toMatchObject({ status: 'success', attempt: 2 });
    });

    it('runs each recovered task exactly once when two managers start at once', async () => {
      const seed = h.store.connect();
      await seed.open({ logger: console });
      const records = Array.from({ length: 200 }, (_, i) =>
        makeRecord({ name: 'shared', owner: 'dead', args: [i] }),
      );
      await seed.write(records);
      await seed.close();

      const runs = new Map<string, string[]>();
      const build = (instanceId: string) => {
        const app = manager({ instanceId, concurrency: 8 });
        app.define('shared', async (ctx) => {
          runs.set(ctx.id, [...(runs.get(ctx.id) ?? []), instanceId]);
          await sleep(1);
        });
        return app;
      };
      const a = build('a');
      const b = build('b');
      await Promise.all([a.start(), b.start()]);
      await waitFor(() => runs.size === 200, 10_000, 'all 200 tasks to run');
      await sleep(100);
      for (const [id, instances] of runs) expect(instances, `task ${id}`).toHaveLength(1);
      await waitFor(
        async () => (await a.counts({ name: 'shared' })).success === 200,
        5000,
        '200 successes stored',
      );
    });

    it('honours idempotency keys across two managers enqueueing at once', async () => {
      const runs = new Map<string, number>();
      const build = (instanceId: string, durability: 'durable' | 'snapshot') => {
        const app = manager({ instanceId, durability });
        const job = app.define('charge', async (_ctx, key: string) => {
          runs.set(key, (runs.get(key) ?? 0) + 1);
        });
        return { app, job };
      };
      const a = build('a', 'durable');
      const b = build('b', 'snapshot');
      await Promise.all([a.app.start(), b.app.start()]);
      const keys = Array.from({ length: 40 }, (_, i) => `order-${i}`);
      const [idsA, idsB] = await Promise.all([
        Promise.all(keys.map((key) => a.job.enqueue([key], { idempotencyKey: key }))),
        Promise.all(keys.map((key) => b.job.enqueue([key], { idempotencyKey: key }))),
      ]);
      expect(idsA).toEqual(idsB);
      await waitFor(() => runs.size === keys.length, 5000, 'each key to run');
      await sleep(100);
      for (const key of keys) expect(runs.get(key), key).toBe(1);
      // Once succeeded, the key still returns the same task and runs nothing.
      expect(await b.job.enqueue(['order-0'], { idempotencyKey: 'order-0' })).toBe(idsA[0]);
      await sleep(50);
      expect(runs.get('order-0')).toBe(1);
    });

    it('lets three managers enqueue overlapping keys at once: no enqueue fails, each key runs once', async () => {
      const runs = new Map<string, number>();
      const apps = ['a', 'b', 'c'].map((instanceId) => {
        const app = manager({ instanceId, durability: 'durable' });
        const job = app.define('overlap', async (_ctx, key: string) => {
          runs.set(key, (runs.get(key) ?? 0) + 1);
        });
        return { app, job };
      });
      await Promise.all(apps.map(({ app }) => app.start()));
      // Each key is enqueued by two of the three, in opposite orders: the pattern that
      // makes two transactions lock the same key rows in a different order.
      const keys = Array.from({ length: 60 }, (_, i) => `k-${i}`);
      const results = await Promise.allSettled(
        apps.flatMap(({ job }, n) => {
          const mine = keys.filter((_, i) => i % 3 !== n);
          const ordered = n % 2 === 0 ? mine : mine.slice().reverse();
          return ordered.map((key) => job.enqueue([key], { idempotencyKey: key }));
        }),
      );
      const failures = results.filter((result) => result.status === 'rejected');
      expect(failures.map((failure) => String((failure as PromiseRejectedResult).reason))).toEqual([]);
      await waitFor(() => runs.size === keys.length, 10_000, 'every key to run');
      await sleep(100);
      for (const key of keys) expect(runs.get(key), key).toBe(1);
    });

    it('retries on one instance a task that failed on another', async () => {
      let fail = true;
      const a = manager({ instanceId: 'a' });
      const flaky = a.define('flaky', async () => {
        if (fail) throw new Error('down');
        return 'up';
      });
      await a.start();
      const id = await flaky.enqueue();
      await waitFor(async () => (await a.get(id))?.status === 'failed', 3000, 'failure');
      await waitFor(() => a.stats().backend?.dirty === 0, 3000, 'flush');
      fail = false;
      const b = manager({ instanceId: 'b' });
      b.define('flaky', async () => 'up on b');
      await b.start();
      await expect(b.retry(id)).resolves.toBe(id);
      await waitFor(async () => (await b.get(id))?.status === 'success', 3000, 'the retry to succeed');
      expect(await b.get(id)).toMatchObject({ owner: 'b', result: 'up on b', attempt: 1 });
    });
  });
}
