import { ResultTimeoutError, type SnapshotBackend, TaskCancelledError, TaskFailedError } from '../index.js';
import { AttemptLog } from './faulty-backend.js';
import { type ConformanceTarget, sleep, waitFor } from './fixtures.js';
import { FAST_FLEET, useManagers } from './manager-harness.js';
import { suite, type TestApi } from './test-api.js';

/**
 * Any instance can run the work: producer-only and worker instances,
 * shared dispatch, cross-instance cancel, retry and results. Every run is
 * counted from inside the task, so a task run twice fails the case.
 */
export function fleetCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: the fleet`, () => {
    const h = useManagers(target, t, FAST_FLEET);
    const manager = h.manager;

    if (target.capabilities.notify) {
      it('wakes a worker for work stored while its claim is in flight: no task waits for a poll', async () => {
        // No poll and no takeover round within the test: only wake-ups can start these tasks.
        const slow = { takeoverInterval: 120_000, pollInterval: 120_000 };
        const web = manager({ instanceId: 'web', runTasks: false, ...slow });
        // The worker's claims answer 300 ms after the store did: work stored meanwhile rings while one is in flight.
        const worker = manager({
          instanceId: 'worker',
          backend: slowClaims(h.store.connect(), 300),
          ...slow,
        });
        for (const m of [web, worker]) m.define('ping', async (_ctx, n: number) => n);
        await worker.start();
        await web.start();
        const first = await web.enqueue('ping', [1]);
        await sleep(100);
        const second = await web.enqueue('ping', [2]);
        expect(await web.result(first, { timeout: 5000 })).toBe(1);
        expect(await web.result(second, { timeout: 5000 })).toBe(2);
      });
    }

    it('lets a producer-only instance hand its work to workers: each task runs once, both workers work', async () => {
      const log = new AttemptLog();
      const web = manager({ instanceId: 'web', runTasks: false });
      web.define('resize', log.body('web', 1));
      web.define('other', log.body('web', 1));
      const workers = ['w1', 'w2'].map((id) => {
        const worker = manager({ instanceId: id, concurrency: 4 });
        worker.define('resize', log.body(id, 15));
        return worker;
      });
      await Promise.all([web, ...workers].map((m) => m.start()));
      const ids = await Promise.all(Array.from({ length: 60 }, () => web.enqueue('resize')));
      // Nobody here defines `other` but the producer, which never runs anything.
      const orphan = await web.enqueue('other');
      await waitFor(
        async () => (await web.counts({ name: 'resize' })).success === ids.length,
        20_000,
        'every shared task to succeed',
      );
      await sleep(100);
      for (const id of ids) expect(log.of(id).map((span) => span.outcome)).toEqual(['returned']);
      const ranOn = new Set(log.spans.map((span) => span.instanceId));
      expect([...ranOn].sort()).toEqual(['w1', 'w2']);
      expect(web.stats().running + web.stats().queued).toBe(0);
      expect(await web.get(orphan)).toMatchObject({ status: 'pending', owner: null });
    });

    it('shares dispatch: shared tasks go to whoever has a slot, the caller included, highest priority first', async () => {
      const order: number[] = [];
      const solo = manager({ instanceId: 'solo', concurrency: 1, dispatch: 'shared' });
      const job = solo.define('job', async (_ctx, n: number) => {
        order.push(n);
        await sleep(5);
      });
      const hold = solo.define('hold', async () => sleep(300), { dispatch: 'local' });
      await solo.start();
      await hold.enqueue();
      await waitFor(() => solo.stats().running === 1, 3000, 'the slot to be taken');
      // All stored while the only slot is busy: the claim then takes them by priority.
      const writer = manager({ instanceId: 'writer', runTasks: false });
      writer.define('job', async () => {});
      await writer.start();
      for (const [n, priority] of [
        [1, 0],
        [2, 5],
        [3, 0],
        [4, 9],
      ] as const) {
        const record = writer.createRecord('job', [n]);
        await writer.backend!.write([{ ...record, owner: null, priority }]);
      }
      await job.enqueue([5]);
      await waitFor(() => order.length === 5, 10_000, 'all five to run');
      expect(order.slice(0, 3)).toEqual([4, 2, 1]);
    });

    it('cancels from any instance: unclaimed work in the store, running work on its owner within a heartbeat', async () => {
      const log = new AttemptLog();
      const web = manager({ instanceId: 'web', runTasks: false });
      web.define('slow', async () => {});
      web.define('unclaimed', async () => {});
      const worker = manager({ instanceId: 'worker' });
      worker.define('slow', log.body('worker', 30_000));
      await Promise.all([web.start(), worker.start()]);
      const waiting = await web.enqueue('unclaimed');
      expect(await web.cancel(waiting)).toBe(true);
      expect(await web.get(waiting)).toMatchObject({ status: 'cancelled' });
      const running = await web.enqueue('slow');
      await waitFor(() => log.of(running).length === 1, 5000, 'the worker to start it');
      const asked = performance.now();
      expect(await web.cancel(running)).toBe(true);
      await waitFor(() => log.of(running)[0]!.end !== null, 3000, 'the attempt to be aborted');
      expect(performance.now() - asked).toBeLessThan(100 * 3 + 500);
      await waitFor(
        async () => (await web.get(running))?.status === 'cancelled',
        3000,
        'the record to say so',
      );
      await expect(web.result(running)).rejects.toBeInstanceOf(TaskCancelledError);
      expect(await web.cancel(running)).toBe(false);
    });

    it('retries from an instance that cannot run the task: a live instance that defines it runs it', async () => {
      let fail = true;
      const worker = manager({ instanceId: 'worker' });
      const flaky = worker.define('flaky', async () => {
        if (fail) throw new Error('down');
        return 'up';
      });
      const admin = manager({ instanceId: 'admin', runTasks: false });
      admin.define('unrelated', async () => {});
      await Promise.all([worker.start(), admin.start()]);
      const id = await flaky.enqueue();
      await expect(admin.result(id, { timeout: 5000 })).rejects.toBeInstanceOf(TaskFailedError);
      fail = false;
      await expect(admin.retry(id)).resolves.toBe(id);
      await expect(admin.result(id, { timeout: 5000 })).resolves.toBe('up');
      expect(await admin.get(id)).toMatchObject({ status: 'success', owner: 'worker', attempt: 1 });
    });

    it('gives results across instances, and a timeout that leaves the task running', async () => {
      const web = manager({ instanceId: 'web', runTasks: false });
      const square = web.define('square', async (_ctx, n: number) => n * n);
      web.define('nap', async () => {});
      const worker = manager({ instanceId: 'worker' });
      worker.define('square', async (_ctx, n: number) => n * n);
      worker.define('nap', async () => sleep(1500));
      await Promise.all([web.start(), worker.start()]);
      const ids = await Promise.all([3, 4, 5].map((n) => square.enqueue([n])));
      expect(await Promise.all(ids.map((id) => square.result(id, { timeout: 10_000 })))).toEqual([9, 16, 25]);
      const nap = await web.enqueue('nap');
      await expect(web.result(nap, { timeout: 200 })).rejects.toBeInstanceOf(ResultTimeoutError);
      // A task that returns nothing resolves to null, as its stored result reads.
      await expect(web.result(nap, { timeout: 10_000 })).resolves.toBeNull();
    });

    it('sheds a local backlog past maxLocalBacklog to idle instances', async () => {
      const log = new AttemptLog();
      const busy = manager({ instanceId: 'busy', concurrency: 1, maxLocalBacklog: 3 });
      const job = busy.define('job', log.body('busy', 40));
      const idle = manager({ instanceId: 'idle', concurrency: 4 });
      idle.define('job', log.body('idle', 40));
      await Promise.all([busy.start(), idle.start()]);
      const ids = await Promise.all(Array.from({ length: 20 }, () => job.enqueue()));
      await waitFor(
        async () => (await busy.counts({ name: 'job' })).success === 20,
        15_000,
        'all to succeed',
      );
      for (const id of ids) expect(log.of(id)).toHaveLength(1);
      expect(log.spans.filter((span) => span.instanceId === 'idle').length).toBeGreaterThan(0);
    });
  });
}

/** `backend`, whose claims answer `ms` after the store did. */
function slowClaims(backend: SnapshotBackend, ms: number): SnapshotBackend {
  return new Proxy(backend, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'claim') return value.bind(target);
      return async (...args: unknown[]) => {
        const claimed = await value.apply(target, args);
        await sleep(ms);
        return claimed;
      };
    },
  });
}
