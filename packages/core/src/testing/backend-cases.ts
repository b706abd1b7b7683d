import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  normalizeQuery,
  type SnapshotBackend,
  type TaskPage,
  type TaskQuery,
  type TaskRecord,
  toPage,
} from '../index.js';
import { type ConformanceStore, type ConformanceTarget, makeRecord } from './fixtures.js';

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Cases that call the backend directly: storage, upsert, fencing,
 * idempotency, history queries, heartbeats and claims.
 */
export function backendCases(target: ConformanceTarget): void {
  describe.skipIf(target.skip === true)(`${target.name}: backend contract`, () => {
    let store: ConformanceStore;
    const opened: SnapshotBackend[] = [];

    async function connect(): Promise<SnapshotBackend> {
      const backend = store.connect();
      await backend.open({ logger: silentLogger });
      opened.push(backend);
      return backend;
    }

    async function page(backend: SnapshotBackend, query: TaskQuery): Promise<TaskPage> {
      const normalized = normalizeQuery(query);
      return toPage(await backend.query(normalized), normalized);
    }

    async function all(backend: SnapshotBackend, query: TaskQuery = {}): Promise<TaskRecord[]> {
      const records: TaskRecord[] = [];
      let cursor: string | undefined;
      do {
        const result = await page(backend, { ...query, limit: 1000, cursor });
        records.push(...result.records);
        cursor = result.nextCursor ?? undefined;
      } while (cursor);
      return records;
    }

    beforeEach(async () => {
      store = await target.setup();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((backend) => backend.close()));
      await store.teardown();
    });

    it('round-trips every field of a record exactly', async () => {
      const backend = await connect();
      const full = makeRecord({
        name: 'emails.send',
        queue: 'mail',
        priority: 7,
        tags: ['billing', 'ünïcødé'],
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
      const sparse = makeRecord({ result: null, progress: null, logs: [], tags: [] });
      const scalarResult = makeRecord({ status: 'success', result: 'done' });
      expect(await backend.write([full, sparse, scalarResult])).toEqual({ conflicts: [] });
      expect(await backend.get(full.id)).toEqual(full);
      expect(await backend.get(sparse.id)).toEqual(sparse);
      expect(await backend.get(scalarResult.id)).toEqual(scalarResult);
      expect(await backend.get('00000000-0000-7000-8000-000000000000')).toBeNull();
    });

    it('upserts: a second write of the same id replaces it in full', async () => {
      const backend = await connect();
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
      expect(await all(backend)).toHaveLength(1);
    });

    it('writes a large batch in one call', async () => {
      const backend = await connect();
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
      const backend = await connect();
      const record = makeRecord({ status: 'running', owner: 'instance-b', attempt: 1 });
      await backend.write([record]);
      await backend.write([{ ...record, status: 'success', owner: 'instance-a' }]);
      expect((await backend.get(record.id))?.status).toBe('running');
      await backend.write([{ ...record, status: 'success', owner: 'instance-b' }]);
      expect((await backend.get(record.id))?.status).toBe('success');
      // Another instance may still move a finished record back to pending (a manual retry).
      await backend.write([{ ...record, status: 'pending', owner: 'instance-a', attempt: 0 }]);
      expect(await backend.get(record.id)).toMatchObject({ status: 'pending', owner: 'instance-a' });
    });

    it('enforces idempotency keys without failing the rest of the batch', async () => {
      const backend = await connect();
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
      expect(await all(backend, { idempotencyKey: 'k1' })).toHaveLength(2);
      // A manual retry of the failed one now conflicts with the new holder.
      const retried = { ...first, status: 'pending' as const };
      expect((await backend.write([retried])).conflicts).toEqual([{ id: first.id, existingId: again.id }]);
      expect((await backend.get(first.id))?.status).toBe('failed');
    });

    it('lets exactly one of two concurrent writers take a key', async () => {
      const a = await connect();
      const b = await connect();
      const keys = Array.from({ length: 50 }, (_, i) => `race-${i}`);
      const batchA = keys.map((key) => makeRecord({ idempotencyKey: key, owner: 'instance-a' }));
      const batchB = keys.map((key) => makeRecord({ idempotencyKey: key, owner: 'instance-b' }));
      const [resultA, resultB] = await Promise.all([a.write(batchA), b.write(batchB)]);
      expect(resultA.conflicts.length + resultB.conflicts.length).toBe(keys.length);
      const stored = await all(a);
      expect(stored).toHaveLength(keys.length);
      expect(new Set(stored.map((record) => record.idempotencyKey)).size).toBe(keys.length);
      for (const conflict of [...resultA.conflicts, ...resultB.conflicts]) {
        expect(stored.some((record) => record.id === conflict.existingId)).toBe(true);
      }
    });

    it('answers history queries with every filter, newest first', async () => {
      const backend = await connect();
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
      expect(ids(await all(backend))).toEqual([r4, r3, r2, r1, r0]);
      expect(ids(await all(backend, { status: 'failed' }))).toEqual([r2, r1]);
      expect(ids(await all(backend, { status: ['success', 'cancelled'] }))).toEqual([r4, r0]);
      expect(ids(await all(backend, { name: 'a' }))).toEqual([r1, r0]);
      expect(ids(await all(backend, { name: ['a', 'c'], status: 'failed' }))).toEqual([r1]);
      expect(ids(await all(backend, { since: t0 + 1000, until: t0 + 3000 }))).toEqual([r2, r1]);
      expect(ids(await all(backend, { since: new Date(t0 + 3000) }))).toEqual([r4, r3]);
      expect(ids(await all(backend, { idempotencyKey: 'order-9' }))).toEqual([r3]);
      expect(ids(await all(backend, { errorContains: 'disk full' }))).toEqual([r1]);
      expect(ids(await all(backend, { errorContains: '%' }))).toEqual([]);
      expect(ids(await all(backend, { errorContains: '_' }))).toEqual([]);
      const counts = await backend.counts(normalizeQuery());
      expect(counts).toEqual({
        pending: 1,
        running: 0,
        success: 1,
        failed: 2,
        interrupted: 0,
        cancelled: 1,
        rejected: 0,
      });
      expect((await backend.counts(normalizeQuery({ name: 'b' }))).failed).toBe(1);
    });

    it('paginates with cursors through ties in createdAt without gaps or repeats', async () => {
      const backend = await connect();
      const t0 = 1_760_000_000_000;
      // 7 records share each millisecond: the id breaks ties.
      const records = Array.from({ length: 35 }, (_, i) => makeRecord({ createdAt: t0 + Math.floor(i / 7) }));
      await backend.write(records);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const result = await page(backend, { limit: 8, cursor });
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

    it('keeps heartbeats on the store clock and forgets removed instances', async () => {
      const backend = await connect();
      const before = await backend.now();
      expect(Math.abs(before - Date.now())).toBeLessThan(5000);
      await backend.heartbeat('instance-a', 10_000, { host: 'h1', pid: 1 });
      await backend.heartbeat('instance-b', 10_000, { host: 'h2', pid: 2 });
      await backend.heartbeat('instance-a', 20_000, { host: 'h1', pid: 1 });
      const instances = await backend.instances();
      const a = instances.find((instance) => instance.id === 'instance-a');
      expect(instances.map((instance) => instance.id).sort()).toEqual(['instance-a', 'instance-b']);
      expect(a?.meta).toEqual({ host: 'h1', pid: 1 });
      expect(a!.expiresAt).toBeGreaterThanOrEqual(before + 20_000 - 50);
      expect(a!.startedAt).toBeLessThanOrEqual(a!.expiresAt - 20_000 + 50);
      await backend.removeInstance('instance-a');
      expect((await backend.instances()).map((instance) => instance.id)).toEqual(['instance-b']);
    });

    it('claims only the unfinished work of dead owners, with the recovery rules', async () => {
      const backend = await connect();
      await backend.heartbeat('live', 60_000, {});
      await backend.heartbeat('me', 60_000, {});
      await backend.heartbeat('expired', 1, {});
      const t0 = Date.now() - 10_000;
      const pendingDead = makeRecord({ owner: 'gone', status: 'pending', createdAt: t0 });
      const runningDead = makeRecord({ owner: 'expired', status: 'running', attempt: 1, createdAt: t0 + 1 });
      const runningRequeue = makeRecord({
        owner: 'gone',
        status: 'running',
        attempt: 1,
        requeueOnInterrupt: true,
        createdAt: t0 + 2,
      });
      const interruptedRequeue = makeRecord({
        owner: 'gone',
        status: 'interrupted',
        requeueOnInterrupt: true,
        createdAt: t0 + 3,
      });
      const ownerless = makeRecord({ owner: null, status: 'pending', createdAt: t0 + 4 });
      const untouched = [
        makeRecord({ owner: 'gone', status: 'interrupted', requeueOnInterrupt: false }),
        makeRecord({ owner: 'gone', status: 'failed' }),
        makeRecord({ owner: 'gone', status: 'success' }),
        makeRecord({ owner: 'live', status: 'pending' }),
        makeRecord({ owner: 'live', status: 'running' }),
        makeRecord({ owner: 'me', status: 'pending' }),
        makeRecord({ owner: 'gone', status: 'pending', name: 'unknown.task' }),
      ];
      await backend.write([
        pendingDead,
        runningDead,
        runningRequeue,
        interruptedRequeue,
        ownerless,
        ...untouched,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 20));

      const claimed = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 100 });
      expect(claimed.map((record) => record.id)).toEqual([
        pendingDead.id,
        runningDead.id,
        runningRequeue.id,
        interruptedRequeue.id,
        ownerless.id,
      ]);
      for (const record of claimed) expect(record.owner).toBe('me');
      const byId = new Map(claimed.map((record) => [record.id, record]));
      expect(byId.get(pendingDead.id)?.status).toBe('pending');
      expect(byId.get(runningRequeue.id)?.status).toBe('pending');
      expect(byId.get(interruptedRequeue.id)?.status).toBe('pending');
      const interrupted = byId.get(runningDead.id)!;
      expect(interrupted.status).toBe('interrupted');
      expect(interrupted.error).toContain('expired');
      expect(interrupted.finishedAt).toBeGreaterThanOrEqual(t0);
      expect(await backend.get(runningDead.id)).toEqual(interrupted);
      for (const record of untouched) expect(await backend.get(record.id)).toEqual(record);
      expect(await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 100 })).toEqual([]);
    });

    it('claims at most `limit`, oldest first', async () => {
      const backend = await connect();
      const t0 = Date.now() - 1000;
      const records = Array.from({ length: 10 }, (_, i) => makeRecord({ owner: 'gone', createdAt: t0 + i }));
      await backend.write(records.slice().reverse());
      const first = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 4 });
      expect(first.map((record) => record.id)).toEqual(records.slice(0, 4).map((record) => record.id));
    });

    it('never gives the same record to two instances claiming at once', async () => {
      const a = await connect();
      const b = await connect();
      const records = Array.from({ length: 300 }, () => makeRecord({ owner: 'gone' }));
      await a.write(records);
      await Promise.all([a.heartbeat('a', 60_000, {}), b.heartbeat('b', 60_000, {})]);
      const claimedA: TaskRecord[] = [];
      const claimedB: TaskRecord[] = [];
      const loop = async (backend: SnapshotBackend, instanceId: string, into: TaskRecord[]) => {
        for (;;) {
          const batch = await backend.claim({ instanceId, names: ['conformance.task'], limit: 25 });
          if (batch.length === 0) return;
          into.push(...batch);
        }
      };
      await Promise.all([loop(a, 'a', claimedA), loop(b, 'b', claimedB)]);
      const ids = [...claimedA, ...claimedB].map((record) => record.id);
      expect(ids).toHaveLength(300);
      expect(new Set(ids).size).toBe(300);
      const stored = await all(a);
      expect(stored.filter((record) => record.owner === 'a')).toHaveLength(claimedA.length);
      expect(stored.filter((record) => record.owner === 'b')).toHaveLength(claimedB.length);
    });

    it('close() resolves and leaves the store usable by other connections', async () => {
      const a = await connect();
      const b = await connect();
      const record = makeRecord();
      await a.write([record]);
      opened.splice(opened.indexOf(a), 1);
      await a.close();
      expect(await b.get(record.id)).toEqual(record);
    });
  });
}
