import type { TaskRecord, WriteKind } from '../index.js';
import { type ConformanceTarget, makeRecord } from './fixtures.js';
import { useStore } from './store-harness.js';
import { suite, type TestApi } from './test-api.js';

const kinds = (records: readonly TaskRecord[], kind: WriteKind) => ({ kinds: records.map(() => kind) });

/**
 * Cases of `write()` with hints (`WriteHints`): a store may write a transition narrowly, but what it
 * stores and answers must be what a write without hints gives. A store that ignores hints passes them.
 */
export function runWriteHintCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: write hints`, () => {
    const h = useStore(target, t);

    it('stores a record accepted, started and finished by transitions as written', async () => {
      const backend = await h.connect();
      const records = [0, 1, 2].map((i) => makeRecord({ owner: 'a', args: [i], tags: { n: String(i) } }));
      expect(await backend.write(records, kinds(records, 'insert'))).toEqual({ conflicts: [], fenced: [] });
      const started = records.map((r) => ({
        ...r,
        status: 'running' as const,
        attempt: 1,
        startedAt: r.createdAt + 1,
      }));
      expect(await backend.write(started, kinds(started, 'transition'))).toEqual({
        conflicts: [],
        fenced: [],
      });
      const finished: TaskRecord[] = started.map((r, i) => ({
        ...r,
        status: i === 0 ? 'failed' : 'success',
        finishedAt: r.createdAt + 9,
        duration: 8,
        error: i === 0 ? 'no' : null,
        stack: i === 0 ? 'Error: no' : null,
        logs: [{ at: r.createdAt + 2, message: 'hello', fields: { i } }],
        progress: 100,
        result: i === 0 ? null : { i },
      }));
      expect(await backend.write(finished, kinds(finished, 'transition'))).toEqual({
        conflicts: [],
        fenced: [],
      });
      for (const record of finished) expect(await backend.get(record.id)).toEqual(record);
      expect(await h.all(backend)).toHaveLength(3);
    });

    it('reports a transition of a task another instance owns as fenced, and keeps its row', async () => {
      const backend = await h.connect();
      const record = makeRecord({ owner: 'a', status: 'running', attempt: 1 });
      await backend.write([record], kinds([record], 'insert'));
      const stale = { ...record, owner: 'b', status: 'success' as const, finishedAt: record.createdAt + 5 };
      const other = makeRecord({ owner: 'b' });
      const batch = [stale, other];
      expect(await backend.write(batch, { kinds: ['transition', 'insert'] })).toEqual({
        conflicts: [],
        fenced: [record.id],
      });
      expect(await backend.get(record.id)).toEqual(record);
      expect(await backend.get(other.id)).toEqual(other);
    });

    it('stores a transition whose row is gone in full', async () => {
      const backend = await h.connect();
      const record = makeRecord({ owner: 'a', status: 'success', attempt: 1, finishedAt: Date.now() });
      expect(await backend.write([record], kinds([record], 'transition'))).toEqual({
        conflicts: [],
        fenced: [],
      });
      expect(await backend.get(record.id)).toEqual(record);
    });

    it('keeps a cancel request through the owner transitions, and a manual retry clears it', async () => {
      const backend = await h.connect();
      await backend.heartbeat('a', 60_000, {});
      const record = makeRecord({ owner: 'a', status: 'running', attempt: 1, startedAt: Date.now() });
      await backend.write([record], kinds([record], 'insert'));
      expect(await backend.cancel(record.id)).toBe('requested');
      const failed = { ...record, status: 'failed' as const, finishedAt: Date.now(), error: 'cancelled' };
      await backend.write([failed], kinds([failed], 'transition'));
      expect(await backend.get(record.id)).toEqual({ ...failed, cancelRequested: true });
      const retried = { ...failed, status: 'pending' as const, attempt: 0, finishedAt: null, error: null };
      await backend.write([retried], kinds([retried], 'transition'));
      expect(await backend.get(record.id)).toEqual({ ...retried, cancelRequested: false });
    });

    it('refuses a transition that takes a key another task holds as a conflict', async () => {
      const backend = await h.connect();
      const released = makeRecord({
        owner: 'a',
        status: 'failed',
        idempotencyKey: 'k',
        finishedAt: Date.now(),
      });
      const holder = makeRecord({ owner: 'a', idempotencyKey: 'k' });
      await backend.write([released, holder], kinds([released, holder], 'insert'));
      const retried = { ...released, status: 'pending' as const, finishedAt: null };
      expect(await backend.write([retried], kinds([retried], 'transition'))).toEqual({
        conflicts: [{ id: released.id, existingId: holder.id }],
        fenced: [],
      });
      expect(await backend.get(released.id)).toEqual(released);
    });
  });
}
