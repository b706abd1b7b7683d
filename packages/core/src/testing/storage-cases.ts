import { normalizeQuery, type TaskRecord } from '../index.js';
import { type ConformanceTarget, makeRecord } from './fixtures.js';
import { useStore } from './store-harness.js';
import { suite, type TestApi } from './test-api.js';

/**
 * Cases that call the backend directly: storage, upsert, fencing,
 * idempotency and history queries.
 */
export function storageCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: storage`, () => {
    const h = useStore(target, t);

    it('round-trips every field of a record exactly', async () => {
      const backend = await h.connect();
      const full = makeRecord({
        name: 'emails.send',
        queue: 'mail',
        priority: 7,
        tags: { team: 'billing', note: 'ünïcødé', empty: '' },
        expiresAt: 1_700_000_009_999,
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        args: [
          { to: 'a@example.com', nested: { list: [1, 2.5, null, true, 'x'] } },
          42,
          'text "quoted" \\ \n',
        ],
        status: 'failed',
        attempt: 3,
        maxAttempts: 4,
        createdAt: 1_700_000_000_123,
        startedAt: 1_700_000_001_456,
        finishedAt: 1_700_000_002_789,
        duration: 1333,
        runAt: 1_700_000_000_999,
        error: 'SMTP said no 🙅',
        stack: 'Error: SMTP said no\n    at send (mail.ts:1:1)',
        logs: [
          { at: 1_700_000_001_500, message: 'connecting' },
          { at: 1_700_000_001_600, message: 'retrying', fields: { host: 'smtp', tries: 2 } },
        ],
        progress: 62.5,
        result: { delivered: false, ids: ['a', 'b'] },
        idempotencyKey: 'email-1',
        owner: 'instance-a',
        requeueOnInterrupt: true,
      });
      const sparse = makeRecord({ result: null, progress: null, logs: [], tags: {} });
      const scalarResult = makeRecord({ status: 'success', result: 'done' });
      expect(await backend.write([full, sparse, scalarResult])).toEqual({ conflicts: [], fenced: [] });
      expect(await backend.get(full.id)).toEqual(full);
      expect(await backend.get(sparse.id)).toEqual(sparse);
      expect(await backend.get(scalarResult.id)).toEqual(scalarResult);
      expect(await backend.get('00000000-0000-7000-8000-000000000000')).toBeNull();
    });

    it('upserts: a second write of the same id replaces it in full', async () => {
      const backend = await h.connect();
      const record = makeRecord({ status: 'pending' });
      await backend.write([record]);
      const finished: TaskRecord = {
        ...record,
        status: 'success',
        attempt: 1,
        startedAt: record.createdAt + 5,
        finishedAt: record.createdAt + 15,
        duration: 10,
        logs: [{ at: record.createdAt + 6, message: 'hello' }],
        result: [1, 2, 3],
      };
      await backend.write([finished]);
      expect(await backend.get(record.id)).toEqual(finished);
      expect(await h.all(backend)).toHaveLength(1);
    });

    it('writes a large batch in one call', async () => {
      const backend = await h.connect();
      const base = Date.now();
      const records = Array.from({ length: 2500 }, (_, i) =>
        makeRecord({ createdAt: base + i, status: i % 2 ? 'success' : 'failed', args: [i] }),
      );
      await backend.write(records);
      const counts = await backend.counts(normalizeQuery());
      expect(counts.success).toBe(1250);
      expect(counts.failed).toBe(1250);
    });

    it('fences: an instance that does not own a record cannot overwrite it', async () => {
      const backend = await h.connect();
      const record = makeRecord({ status: 'running', owner: 'instance-b', attempt: 1 });
      const bystander = makeRecord({ owner: 'instance-a' });
      expect(await backend.write([record, bystander])).toEqual({ conflicts: [], fenced: [] });
      // The refused update is reported, and the rest of the batch still lands.
      const stale = { ...record, status: 'success' as const, owner: 'instance-a' };
      const next = { ...bystander, status: 'running' as const, attempt: 1 };
      expect(await backend.write([stale, next])).toEqual({ conflicts: [], fenced: [record.id] });
      expect((await backend.get(record.id))?.status).toBe('running');
      expect((await backend.get(bystander.id))?.status).toBe('running');
      // A rewrite identical to what is stored is not fenced.
      expect((await backend.write([record, next])).fenced).toEqual([]);
      expect((await backend.write([{ ...record, status: 'success', owner: 'instance-b' }])).fenced).toEqual(
        [],
      );
      expect((await backend.get(record.id))?.status).toBe('success');
      // Another instance may still move a finished record back to pending (a manual retry).
      const retry = { ...record, status: 'pending' as const, owner: 'instance-a', attempt: 0 };
      expect((await backend.write([retry])).fenced).toEqual([]);
      expect(await backend.get(record.id)).toMatchObject({ status: 'pending', owner: 'instance-a' });
      // A row nobody owns takes any writer's update.
      const unowned = makeRecord({ owner: null });
      await backend.write([unowned]);
      expect((await backend.write([{ ...unowned, owner: 'instance-c', status: 'running' }])).fenced).toEqual(
        [],
      );
      expect((await backend.get(unowned.id))?.owner).toBe('instance-c');
    });

    it('enforces idempotency keys without failing the rest of the batch', async () => {
      const backend = await h.connect();
      const first = makeRecord({ idempotencyKey: 'k1' });
      const duplicate = makeRecord({ idempotencyKey: 'k1' });
      const other = makeRecord({ idempotencyKey: 'k2' });
      const plain = makeRecord();
      const result = await backend.write([first, duplicate, other, plain]);
      expect(result.conflicts).toEqual([{ id: duplicate.id, existingId: first.id }]);
      expect(await backend.get(duplicate.id)).toBeNull();
      expect(await backend.get(other.id)).not.toBeNull();
      expect(await backend.get(plain.id)).not.toBeNull();

      // A later batch conflicts too, while the key is held...
      const later = makeRecord({ idempotencyKey: 'k1' });
      expect((await backend.write([later])).conflicts).toEqual([{ id: later.id, existingId: first.id }]);
      // ...a record may rewrite its own key...
      expect((await backend.write([{ ...first, status: 'success' }])).conflicts).toEqual([]);
      // ...success and interrupted keep holding it...
      expect((await backend.write([makeRecord({ idempotencyKey: 'k1' })])).conflicts).toHaveLength(1);
      await backend.write([{ ...first, status: 'interrupted' }]);
      expect((await backend.write([makeRecord({ idempotencyKey: 'k1' })])).conflicts).toHaveLength(1);
      // ...failed releases it.
      await backend.write([{ ...first, status: 'failed' }]);
      const again = makeRecord({ idempotencyKey: 'k1' });
      expect((await backend.write([again])).conflicts).toEqual([]);
      expect(await h.all(backend, { idempotencyKey: 'k1' })).toHaveLength(2);
      // A manual retry of the failed one now conflicts with the new holder.
      const retried = { ...first, status: 'pending' as const };
      expect((await backend.write([retried])).conflicts).toEqual([{ id: first.id, existingId: again.id }]);
      expect((await backend.get(first.id))?.status).toBe('failed');
    });

    it('lets exactly one of two concurrent writers take a key', async () => {
      const a = await h.connect();
      const b = await h.connect();
      const keys = Array.from({ length: 50 }, (_, i) => `race-${i}`);
      const batchA = keys.map((key) => makeRecord({ idempotencyKey: key, owner: 'instance-a' }));
      const batchB = keys.map((key) => makeRecord({ idempotencyKey: key, owner: 'instance-b' }));
      const [resultA, resultB] = await Promise.all([a.write(batchA), b.write(batchB)]);
      expect(resultA.conflicts.length + resultB.conflicts.length).toBe(keys.length);
      const stored = await h.all(a);
      expect(stored).toHaveLength(keys.length);
      expect(new Set(stored.map((record) => record.idempotencyKey)).size).toBe(keys.length);
      for (const conflict of [...resultA.conflicts, ...resultB.conflicts]) {
        expect(stored.some((record) => record.id === conflict.existingId)).toBe(true);
      }
    });

    it('answers history queries with every filter, newest first', async () => {
      const backend = await h.connect();
      const t0 = 1_750_000_000_000;
      const records = [
        makeRecord({ name: 'a', status: 'success', createdAt: t0 }),
        makeRecord({ name: 'a', status: 'failed', createdAt: t0 + 1000, error: 'Disk FULL on /var' }),
        makeRecord({ name: 'b', status: 'failed', createdAt: t0 + 2000, error: 'timeout' }),
        makeRecord({ name: 'b', status: 'pending', createdAt: t0 + 3000, idempotencyKey: 'order-9' }),
        makeRecord({ name: 'c', status: 'cancelled', createdAt: t0 + 4000 }),
      ];
      await backend.write(records);
      const ids = (list: TaskRecord[]) => list.map((record) => record.id);
      const [r0, r1, r2, r3, r4] = records.map((record) => record.id);
      expect(ids(await h.all(backend))).toEqual([r4, r3, r2, r1, r0]);
      expect(ids(await h.all(backend, { status: 'failed' }))).toEqual([r2, r1]);
      expect(ids(await h.all(backend, { status: ['success', 'cancelled'] }))).toEqual([r4, r0]);
      expect(ids(await h.all(backend, { name: 'a' }))).toEqual([r1, r0]);
      expect(ids(await h.all(backend, { name: ['a', 'c'], status: 'failed' }))).toEqual([r1]);
      expect(ids(await h.all(backend, { since: t0 + 1000, until: t0 + 3000 }))).toEqual([r2, r1]);
      expect(ids(await h.all(backend, { since: new Date(t0 + 3000) }))).toEqual([r4, r3]);
      expect(ids(await h.all(backend, { idempotencyKey: 'order-9' }))).toEqual([r3]);
      expect(ids(await h.all(backend, { errorContains: 'disk full' }))).toEqual([r1]);
      expect(ids(await h.all(backend, { errorContains: '%' }))).toEqual([]);
      expect(ids(await h.all(backend, { errorContains: '_' }))).toEqual([]);
      const counts = await backend.counts(normalizeQuery());
      expect(counts).toEqual({
        pending: 1,
        running: 0,
        success: 1,
        failed: 2,
        interrupted: 0,
        cancelled: 1,
        rejected: 0,
        expired: 0,
      });
      expect((await backend.counts(normalizeQuery({ name: 'b' }))).failed).toBe(1);
    });

    it('paginates with cursors through ties in createdAt without gaps or repeats', async () => {
      const backend = await h.connect();
      const t0 = 1_760_000_000_000;
      // 7 records share each millisecond: the id breaks ties.
      const records = Array.from({ length: 35 }, (_, i) => makeRecord({ createdAt: t0 + Math.floor(i / 7) }));
      await backend.write(records);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const result = await h.page(backend, { limit: 8, cursor });
        expect(result.records.length).toBeLessThanOrEqual(8);
        seen.push(...result.records.map((record) => record.id));
        cursor = result.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBe(5);
      const expected = records
        .slice()
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
        .map((record) => record.id);
      expect(seen).toEqual(expected);
    });

    it('close() resolves and leaves the store usable by other connections', async () => {
      const a = await h.connect();
      const b = await h.connect();
      const record = makeRecord();
      await a.write([record]);
      await h.close(a);
      expect(await b.get(record.id)).toEqual(record);
    });
  });
}
