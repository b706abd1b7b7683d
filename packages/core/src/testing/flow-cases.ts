import { QueueFullError } from '../index.js';
import { AttemptLog } from './faulty-backend.js';
import { type ConformanceTarget, sleep, waitFor } from './fixtures.js';
import { FAST_FLEET, useManagers } from './manager-harness.js';
import { suite, type TestApi } from './test-api.js';

/** Flow control held across instances sharing the store: queues, priorities, rates, bulk, retention. */
export function flowCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: flow control across instances`, () => {
    const h = useManagers(target, t, FAST_FLEET);
    const manager = h.manager;

    it('refuses past maxSize and keeps the refused task in the store as rejected', async () => {
      const app = manager({ queues: { email: { maxSize: 2 } }, concurrency: 1 });
      const mail = app.define('mail', async () => sleep(200), { queue: 'email' });
      await app.start();
      await Promise.all([mail.enqueue(), mail.enqueue(), mail.enqueue()]);
      const refused = (await mail.enqueue().catch((error: unknown) => error)) as QueueFullError;
      expect(refused).toBeInstanceOf(QueueFullError);
      await waitFor(
        async () => (await app.counts({ queue: 'email' })).rejected === 1,
        3000,
        'the rejected record',
      );
      expect(await app.query({ status: 'rejected', queue: 'email' })).toMatchObject({
        records: [expect.objectContaining({ id: refused.taskId, name: 'mail' })],
      });
    });

    it('claims shared work by priority on two instances, first come first served among equals', async () => {
      const order: string[] = [];
      const writer = manager({ instanceId: 'writer', runTasks: false });
      writer.define('job', async () => {});
      await writer.start();
      const tags = ['p0-a', 'p9-a', 'p0-b', 'p9-b', 'p5-a'];
      await writer.enqueueMany(
        'job',
        tags.map((tag) => [[tag], { priority: Number(tag[1]) }] as const),
      );
      // Tasks take 30 ms on one worker and 100 ms on the other, so that their claims after
      // the first come one at a time: two claims at the same instant may start in either order.
      const workers = [
        ['w1', 30],
        ['w2', 100],
      ].map(([id, ms]) => {
        const worker = manager({ instanceId: id as string, concurrency: 1 });
        worker.define('job', async (_ctx, tag: string) => {
          order.push(tag);
          await sleep(ms as number);
        });
        return worker;
      });
      await Promise.all(workers.map((worker) => worker.start()));
      await waitFor(() => order.length === 5, 10_000, 'all five to run');
      expect(order.slice(0, 2).sort()).toEqual(['p9-a', 'p9-b']);
      expect(order[2]).toBe('p5-a');
      expect(order.slice(3).sort()).toEqual(['p0-a', 'p0-b']);
    });

    it('holds a rate limit across two instances', async () => {
      const starts: number[] = [];
      const queues = { api: { rateLimit: { max: 4, per: 1000 } } };
      const [a, b] = ['a', 'b'].map((id) => {
        const app = manager({ instanceId: id, queues });
        app.define('call', async () => void starts.push(performance.now()), { queue: 'api' });
        return app;
      });
      await Promise.all([a!.start(), b!.start()]);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a! : b!).enqueue('call')));
      await waitFor(() => starts.length === 6, 10_000, 'all six to start');
      // The bucket holds four for both instances together; the fifth waits for a refill.
      expect(starts.filter((at) => at - t0 < 200)).toHaveLength(4);
      expect(Math.max(...starts) - t0).toBeGreaterThanOrEqual(200);
    });

    it('holds globalConcurrency across two instances', async () => {
      const log = new AttemptLog();
      let running = 0;
      let most = 0;
      const queues = { heavy: { globalConcurrency: 2 } };
      const [a, b] = ['a', 'b'].map((id) => {
        const app = manager({ instanceId: id, queues, concurrency: 5 });
        const body = log.body(id, 80);
        app.define(
          'crunch',
          async (ctx) => {
            most = Math.max(most, ++running);
            try {
              await body(ctx);
            } finally {
              running--;
            }
          },
          { queue: 'heavy' },
        );
        return app;
      });
      await Promise.all([a!.start(), b!.start()]);
      await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a! : b!).enqueue('crunch')));
      await waitFor(() => log.spans.filter((span) => span.end !== null).length === 8, 15_000, 'all eight');
      expect(most).toBeLessThanOrEqual(2);
      expect(most).toBe(2);
    });

    it('pauses a queue from one instance: the other stops starting its tasks within a heartbeat', async () => {
      const ran: string[] = [];
      const a = manager({ instanceId: 'a' });
      const b = manager({ instanceId: 'b' });
      a.define('report', async () => {}, { queue: 'reports' });
      const report = b.define('report', async (ctx) => void ran.push(ctx.id), { queue: 'reports' });
      await Promise.all([a.start(), b.start()]);
      await a.pauseQueue('reports');
      await sleep(300);
      const id = await report.enqueue();
      await sleep(300);
      expect(ran).toEqual([]);
      await a.resumeQueue('reports');
      await waitFor(() => ran.length === 1, 3000, 'the report after resume');
      expect(ran).toEqual([id]);
    });

    it('stores a bulk enqueue in one go, and nothing of it when one item is invalid', async () => {
      const app = manager({ durability: 'durable' });
      const job = app.define('job', async (_ctx, n: number) => n * 2);
      await app.start();
      const ids = await job.enqueueMany(Array.from({ length: 50 }, (_, n) => [[n]] as const));
      await waitFor(async () => (await app.counts({ name: 'job' })).success === 50, 10_000, 'all fifty');
      await expect(job.enqueueMany([[[1]], [[Number.NaN]]])).rejects.toThrow(/NaN/);
      await sleep(100);
      expect((await app.counts({ name: 'job' })).success).toBe(50);
      expect(new Set(ids).size).toBe(50);
    });

    it('purges by retention and never an unfinished task', async () => {
      const app = manager({ durability: 'durable', retention: { success: 1, failed: 1 } });
      const quick = app.define('quick', async () => {});
      const slow = app.define('slow', async () => sleep(1000));
      await app.start();
      const done = await quick.enqueue();
      const busy = await slow.enqueue();
      const waiting = await slow.enqueue([], { delay: 60_000 });
      await waitFor(async () => (await app.get(done))?.status === 'success', 3000, 'quick to finish');
      await sleep(50);
      expect(await app.runRetention()).toBe(1);
      const reader = h.store.connect();
      await reader.open({ logger: console });
      try {
        expect(await reader.get(done)).toBeNull();
        expect((await reader.get(busy))?.status).toBe('running');
        expect((await reader.get(waiting))?.status).toBe('pending');
      } finally {
        await reader.close();
      }
    });
  });
}
