import { normalizeQuery } from '../index.js';
import { type ConformanceTarget, makeRecord, sleep } from './fixtures.js';
import { useStore } from './store-harness.js';
import { suite, type TestApi } from './test-api.js';

/** The store's part of flow control: queues, tags, overrides, semaphores, token buckets, retention, locks. */
export function flowStoreCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: flow control in the store`, () => {
    const h = useStore(target, t);

    it('filters history by queue and by tag pairs (all must match)', async () => {
      const backend = await h.connect();
      const t0 = 1_750_000_000_000;
      const a = makeRecord({ queue: 'email', tags: { userId: '42', source: 'signup' }, createdAt: t0 });
      const b = makeRecord({ queue: 'email', tags: { userId: '42' }, createdAt: t0 + 1 });
      const c = makeRecord({ queue: 'reports', tags: { userId: '7', source: 'signup' }, createdAt: t0 + 2 });
      const d = makeRecord({ queue: 'reports', tags: { 'odd "key"': 'va\\lue' }, createdAt: t0 + 3 });
      await backend.write([a, b, c, d]);
      const ids = async (query: Parameters<typeof h.all>[1]) =>
        (await h.all(backend, query)).map((r) => r.id);
      expect(await ids({ queue: 'email' })).toEqual([b.id, a.id]);
      expect(await ids({ queue: ['email', 'reports'] })).toEqual([d.id, c.id, b.id, a.id]);
      expect(await ids({ tags: { userId: '42' } })).toEqual([b.id, a.id]);
      expect(await ids({ tags: { userId: '42', source: 'signup' } })).toEqual([a.id]);
      expect(await ids({ tags: { source: 'signup' }, queue: 'reports' })).toEqual([c.id]);
      expect(await ids({ tags: { 'odd "key"': 'va\\lue' } })).toEqual([d.id]);
      expect(await ids({ tags: { userId: '4' } })).toEqual([]);
      expect((await backend.counts(normalizeQuery({ tags: { userId: '42' } }))).pending).toBe(2);
    });

    it('leaves the work of excluded queues to others', async () => {
      const backend = await h.connect();
      await backend.heartbeat('me', 60_000, {});
      const paused = makeRecord({ owner: null, queue: 'paused' });
      const open = makeRecord({ owner: null, queue: 'open' });
      await backend.write([paused, open]);
      const claimed = await backend.claim({
        instanceId: 'me',
        names: ['conformance.task'],
        limit: 10,
        excludeQueues: ['paused'],
      });
      expect(claimed.map((record) => record.id)).toEqual([open.id]);
    });

    it('stores queue overrides, brings them back with every heartbeat, and clears them', async () => {
      const a = await h.connect();
      const b = await h.connect();
      expect((await a.heartbeat('a', 60_000, {})).queues).toEqual([]);
      expect(await a.setQueueOverride('email', { paused: true })).toMatchObject({
        name: 'email',
        paused: true,
        concurrency: null,
      });
      await a.setQueueOverride('email', { concurrency: 5 });
      await a.setQueueOverride('reports', { globalConcurrency: 2 });
      const seen = (await b.heartbeat('b', 60_000, {})).queues.sort((x, y) => (x.name < y.name ? -1 : 1));
      expect(seen).toEqual([
        {
          name: 'email',
          paused: true,
          concurrency: 5,
          globalConcurrency: null,
          updatedAt: expect.any(Number),
        },
        {
          name: 'reports',
          paused: null,
          concurrency: null,
          globalConcurrency: 2,
          updatedAt: expect.any(Number),
        },
      ]);
      expect(await a.setQueueOverride('email', { paused: null, concurrency: null })).toBeNull();
      expect((await b.heartbeat('b', 60_000, {})).queues.map((q) => q.name)).toEqual(['reports']);
    });

    it('holds a fleet-wide semaphore: never above its limit, even raced, and freed when a holder dies', async () => {
      const a = await h.connect();
      const b = await h.connect();
      await a.heartbeat('a', 60_000, {});
      await b.heartbeat('b', 60_000, {});
      const grants = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).acquire('q:reports', i % 2 ? 'a' : 'b', 1, 3)),
      );
      expect(grants.reduce((sum, n) => sum + n, 0)).toBe(3);
      expect(await a.acquire('q:reports', 'a', 2, 3)).toBe(0);
      const heldByA = grants.filter((n, i) => i % 2 && n).length;
      await a.release('q:reports', 'a', heldByA);
      expect(await b.acquire('q:reports', 'b', 5, 3)).toBe(heldByA);
      // A holder whose heartbeat expired holds nothing.
      await b.heartbeat('b', 1, {});
      await sleep(20);
      expect(await a.acquire('q:reports', 'a', 5, 3)).toBe(3);
    });

    it('keeps a fleet-wide token bucket: a burst of max, then max per period', async () => {
      const a = await h.connect();
      const b = await h.connect();
      // A slow refill (one token per 6 s) makes the burst exact however long the calls take.
      const slow = { max: 10, perMs: 60_000 };
      const first = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).takeTokens('q:api', 3, slow)),
      );
      expect(first.reduce((sum, n) => sum + n, 0)).toBe(10);
      expect(await a.takeTokens('q:api', 5, slow)).toBe(0);
      // One token per 100 ms: what comes back matches the time that passed.
      const rate = { max: 10, perMs: 1000 };
      const drained = performance.now();
      expect(await a.takeTokens('q:fast', 10, rate)).toBe(10);
      await sleep(350);
      const refilled = await b.takeTokens('q:fast', 10, rate);
      const elapsed = performance.now() - drained;
      expect(refilled).toBeGreaterThanOrEqual(2);
      expect(refilled).toBeLessThanOrEqual(Math.min(10, Math.ceil(elapsed / 100) + 1));
    });

    it('purges finished records past retention in bounded batches, and never an unfinished one', async () => {
      const backend = await h.connect();
      const t0 = Date.now() - 100_000;
      const old = (queue: string, i: number) =>
        makeRecord({
          queue,
          status: 'success',
          createdAt: t0 + i,
          finishedAt: t0 + 10 + i,
          idempotencyKey: `k-${queue}-${i}`,
        });
      const olds = [...Array.from({ length: 5 }, (_, i) => old('default', i)), old('keep', 0)];
      const recent = makeRecord({ status: 'success', finishedAt: Date.now() });
      const failed = makeRecord({ status: 'failed', createdAt: t0, finishedAt: t0 + 5 });
      const pending = makeRecord({ status: 'pending', createdAt: t0 });
      const running = makeRecord({ status: 'running', createdAt: t0, finishedAt: t0 + 1 });
      await backend.write([...olds, recent, failed, pending, running]);
      const before = Date.now() - 50_000;
      const request = {
        status: 'success' as const,
        finishedBefore: before,
        queues: null,
        excludeQueues: ['keep'],
        limit: 3,
      };
      expect(await backend.purge(request)).toBe(3);
      expect(await backend.purge(request)).toBe(2);
      expect(await backend.purge(request)).toBe(0);
      for (const record of olds.slice(0, 5)) expect(await backend.get(record.id)).toBeNull();
      expect(await backend.get(olds[5]!.id)).not.toBeNull();
      expect(await backend.purge({ ...request, queues: ['keep'], excludeQueues: [] })).toBe(1);
      for (const record of [recent, failed, pending, running])
        expect(await backend.get(record.id)).not.toBeNull();
      expect(await backend.purge({ ...request, status: 'pending', queues: null, excludeQueues: [] })).toBe(0);
      expect(await backend.purge({ ...request, status: 'failed' })).toBe(1);
      // A purged holder no longer holds its key.
      const again = makeRecord({ idempotencyKey: 'k-default-0' });
      expect((await backend.write([again])).conflicts).toEqual([]);
    });

    it('never purges an interrupted task a claim may still take (requeueOnInterrupt)', async () => {
      const backend = await h.connect();
      const t0 = Date.now() - 100_000;
      const waiting = makeRecord({
        status: 'interrupted',
        requeueOnInterrupt: true,
        createdAt: t0,
        finishedAt: t0 + 1,
      });
      const done = makeRecord({ status: 'interrupted', createdAt: t0, finishedAt: t0 + 1 });
      await backend.write([waiting, done]);
      const request = {
        status: 'interrupted' as const,
        finishedBefore: Date.now(),
        queues: null,
        excludeQueues: [],
        limit: 10,
      };
      expect(await backend.purge(request)).toBe(1);
      expect(await backend.get(done.id)).toBeNull();
      expect(await backend.get(waiting.id)).toMatchObject({ status: 'interrupted' });
    });

    it('leases singleton work to one holder at a time', async () => {
      const a = await h.connect();
      const b = await h.connect();
      const results = await Promise.all([a.tryLock('retention', 'a', 300), b.tryLock('retention', 'b', 300)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const holder = results[0] ? 'a' : 'b';
      const other = holder === 'a' ? 'b' : 'a';
      const [mine, theirs] = holder === 'a' ? [a, b] : [b, a];
      expect(await mine.tryLock('retention', holder, 300)).toBe(true);
      expect(await theirs.tryLock('retention', other, 300)).toBe(false);
      expect(await theirs.tryLock('other-work', other, 300)).toBe(true);
      await sleep(350);
      expect(await theirs.tryLock('retention', other, 300)).toBe(true);
    });

    it('stores expired tasks, whose keys are free again', async () => {
      const backend = await h.connect();
      const expired = makeRecord({
        status: 'expired',
        idempotencyKey: 'late',
        expiresAt: Date.now() - 1,
        finishedAt: Date.now(),
      });
      await backend.write([expired]);
      expect(await backend.get(expired.id)).toEqual(expired);
      expect((await backend.write([makeRecord({ idempotencyKey: 'late' })])).conflicts).toEqual([]);
      expect((await backend.counts(normalizeQuery())).expired).toBe(1);
    });
  });
}
