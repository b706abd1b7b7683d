import { normalizeQuery } from '../index.js';
import { AttemptLog, faulty } from './faulty-backend.js';
import { type ConformanceTarget, makeRecord, sleep, waitFor } from './fixtures.js';
import { useManagers } from './manager-harness.js';
import { suite, type TestApi } from './test-api.js';

/**
 * Short leases, so a lapse and a takeover fit in a test, yet long enough
 * that a busy CI machine's event-loop lag never loses one by itself.
 */
const lease = { leaseTtl: 600, heartbeatInterval: 100, takeoverInterval: 100 };
/** Longer than the lease: the cut-off instance's tasks become claimable meanwhile. */
const CUT_MS = 1400;

/**
 * Who runs a task when instances lose the store, die or restart: a task is
 * never run by two live instances at once, an instance that lost its lease
 * starts nothing, and dead work is recovered as soon as it is provably
 * dead. Every attempt is counted from inside the task.
 */
export function ownershipCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: ownership under faults`, () => {
    const h = useManagers(target, t);
    const manager = h.manager;

    it('never lets two live instances run one task when one is cut off from the store past its lease', async () => {
      const log = new AttemptLog();
      const cut = faulty(h.store.connect());
      const a = manager({ backend: cut.backend, instanceId: 'a', durability: 'durable', ...lease });
      const b = manager({ instanceId: 'b', durability: 'durable', ...lease });
      const lostEvents: string[] = [];
      a.on('leaseLost', () => lostEvents.push('lost'));
      a.on('leaseRestored', () => lostEvents.push('restored'));
      const options = { requeueOnInterrupt: true };
      const charge = a.define('charge', log.body('a', 1500), options);
      a.define('refund', log.body('a', 1500));
      b.define('charge', log.body('b', 1500), options);
      b.define('refund', log.body('b', 1500));
      await Promise.all([a.start(), b.start()]);
      const id = await charge.enqueue([], { idempotencyKey: 'charge:ada' });
      const refund = await a.enqueue('refund');
      await waitFor(() => log.of(id).length === 1 && log.of(refund).length === 1, 3000, 'both to start on a');

      await cut.cutFor(CUT_MS);
      await waitFor(async () => (await b.get(id))?.status === 'success', 10_000, 'charge to succeed');
      await waitFor(async () => (await b.get(refund))?.status === 'interrupted', 5000, 'refund interrupted');
      await sleep(500);

      expect(log.overlaps()).toEqual([]);
      const runs = log.of(id);
      // a's attempt was aborted at its lease deadline, before b could take the task over...
      expect(runs[0]).toMatchObject({ instanceId: 'a', outcome: 'aborted' });
      expect(runs.filter((span) => span.outcome === 'returned')).toHaveLength(1);
      // ...and a never started it again once b had it.
      const takenAt = runs.find((span) => span.instanceId === 'b')?.start ?? Number.POSITIVE_INFINITY;
      expect(runs.filter((span) => span.instanceId === 'a' && span.start > takenAt)).toEqual([]);
      // The interrupted task may not run twice: it ran once, on a, and was aborted.
      expect(log.of(refund)).toEqual([expect.objectContaining({ instanceId: 'a', outcome: 'aborted' })]);
      expect(lostEvents).toEqual(['lost', 'restored']);
      expect(a.stats().backend).toMatchObject({ leaseValid: true, healthy: true });
      // One key, one task, across the fleet.
      expect((await b.counts({ name: 'charge' })).success).toBe(1);
    });

    it('runs a task again on the same instance after a lapse only when no one took it, never twice at once', async () => {
      const log = new AttemptLog();
      const cut = faulty(h.store.connect());
      const a = manager({ backend: cut.backend, instanceId: 'a', durability: 'durable', ...lease });
      const job = a.define('steady', log.body('a', 800), { requeueOnInterrupt: true });
      await a.start();
      const id = await job.enqueue();
      await waitFor(() => log.of(id).length === 1, 3000, 'the first attempt');
      await cut.cutFor(CUT_MS);
      await waitFor(async () => (await a.get(id))?.status === 'success', 10_000, 'success after the lapse');
      const runs = log.of(id);
      expect(runs.map((span) => span.outcome)).toEqual(['aborted', 'returned']);
      // The second attempt started only after the lease was restored, not during the cut.
      expect(runs[1]!.start).toBeGreaterThan(runs[0]!.end!);
    });

    it('takes over the running tasks of an instance that stopped heartbeating, after its attempts ended', async () => {
      const log = new AttemptLog();
      const doomed = faulty(h.store.connect());
      const slow = { leaseTtl: 600, heartbeatInterval: 100, takeoverInterval: 100 };
      const a = manager({ backend: doomed.backend, durability: 'durable', instanceId: 'doomed', ...slow });
      a.define('steady', log.body('doomed', 60_000), { requeueOnInterrupt: true });
      a.define('fragile', log.body('doomed', 60_000));
      await a.start();
      const steady = await Promise.all([1, 2, 3].map(() => a.enqueue('steady')));
      const fragile = await Promise.all([1, 2].map(() => a.enqueue('fragile')));
      await waitFor(() => a.stats().running === 5, 3000, 'five running tasks');
      const b = manager({ durability: 'durable', instanceId: 'survivor', ...slow });
      b.define('steady', log.body('survivor', 10), { requeueOnInterrupt: true });
      b.define('fragile', log.body('survivor', 10));
      await b.start();
      await sleep(300);
      expect(log.spans.filter((span) => span.instanceId === 'survivor')).toEqual([]);

      const crashedAt = performance.now();
      doomed.crash();
      await waitFor(
        () => log.spans.filter((span) => span.instanceId === 'survivor').length === 3,
        5000,
        'the survivor to take the requeueable tasks over',
      );
      expect(performance.now() - crashedAt).toBeLessThan(600 + 100 + 1500);
      await sleep(300);
      // Every doomed attempt was aborted by its own lease before the survivor's started:
      // no run by the doomed instance overlaps or follows the takeover.
      expect(log.overlaps()).toEqual([]);
      for (const id of [...steady, ...fragile]) {
        const doomedRuns = log.of(id).filter((span) => span.instanceId === 'doomed');
        expect(doomedRuns).toEqual([expect.objectContaining({ outcome: 'aborted' })]);
      }
      expect(
        log.spans
          .filter((span) => span.instanceId === 'survivor')
          .map((s) => s.taskId)
          .sort(),
      ).toEqual(steady.slice().sort());
      for (const id of fragile) {
        const record = await b.get(id);
        expect(record).toMatchObject({ status: 'interrupted', owner: 'survivor' });
        expect(record?.error).toContain('doomed');
      }
      for (const id of steady) {
        await waitFor(
          async () => (await b.get(id))?.status === 'success',
          3000,
          `task ${id} stored as success`,
        );
      }
    });

    it('recovers at once the tasks of a crashed predecessor with the same configured instance id', async () => {
      const first = faulty(h.store.connect());
      const a = manager({
        backend: first.backend,
        instanceId: 'web-1',
        leaseTtl: 60_000,
        durability: 'durable',
      });
      a.define('mail', async () => sleep(60_000));
      await a.start();
      const ids = await Promise.all([1, 2, 3].map(() => a.enqueue('mail', [], { delay: 200 })));
      first.crash();
      const ran: string[] = [];
      const restarted = manager({ instanceId: 'web-1', leaseTtl: 60_000 });
      restarted.define('mail', async (ctx) => void ran.push(ctx.id));
      const started = performance.now();
      await restarted.start();
      await waitFor(() => ran.length === 3, 3000, "the predecessor's tasks to run");
      expect(ran.sort()).toEqual(ids.slice().sort());
      // Its heartbeat would have kept them for a minute.
      expect(performance.now() - started).toBeLessThan(3000);
    });

    it("claims only what it can run soon, not a dead instance's whole backlog", async () => {
      const seed = h.store.connect();
      await seed.open({ logger: console });
      const backlog = Array.from({ length: 60 }, (_, i) =>
        makeRecord({ name: 'backlog', owner: 'dead', createdAt: Date.now() - 1000 + i }),
      );
      await seed.write(backlog);
      await seed.close();
      const concurrency = 2;
      const b = manager({ instanceId: 'heir', concurrency, ...lease });
      let done = 0;
      b.define('backlog', async () => {
        await sleep(30);
        done++;
      });
      await b.start();
      const reader = h.store.connect();
      await reader.open({ logger: console });
      try {
        let most = 0;
        while (done < 60) {
          const owned = await reader.query(normalizeQuery({ status: ['pending', 'running'], limit: 1000 }));
          most = Math.max(most, owned.filter((record) => record.owner === 'heir').length);
          await sleep(20);
        }
        // Running plus the next ones, never the whole backlog.
        expect(most).toBeLessThanOrEqual(concurrency * 2);
        expect(most).toBeGreaterThan(0);
      } finally {
        await reader.close();
      }
    });
  });
}
