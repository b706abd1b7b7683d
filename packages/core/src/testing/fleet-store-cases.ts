import { type ConformanceTarget, makeRecord, sleep } from './fixtures.js';
import { useStore } from './store-harness.js';
import { suite, type TestApi } from './test-api.js';

/** The store's part of the fleet: unowned work, cross-instance cancel requests, batch reads, wake-ups. */
export function fleetStoreCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: the fleet's store operations`, () => {
    const h = useStore(target, t);

    it('cancels unclaimed work at once and asks a live owner to cancel its own', async () => {
      const backend = await h.connect();
      await backend.heartbeat('live', 60_000, {});
      await backend.heartbeat('expired', 1, {});
      await sleep(20);
      const unowned = makeRecord({ owner: null });
      const ofDead = makeRecord({ owner: 'expired' });
      const waiting = makeRecord({ owner: 'live' });
      const running = makeRecord({ owner: 'live', status: 'running', attempt: 1 });
      const done = makeRecord({ owner: 'live', status: 'success' });
      await backend.write([unowned, ofDead, waiting, running, done]);
      expect(await backend.cancel(unowned.id)).toBe('cancelled');
      expect(await backend.cancel(ofDead.id)).toBe('cancelled');
      expect(await backend.cancel(waiting.id)).toBe('requested');
      expect(await backend.cancel(running.id)).toBe('requested');
      expect(await backend.cancel(done.id)).toBe('finished');
      expect(await backend.cancel('00000000-0000-7000-8000-000000000000')).toBe('missing');
      expect(await backend.get(unowned.id)).toMatchObject({ status: 'cancelled', error: 'cancelled' });
      expect((await backend.get(unowned.id))!.finishedAt).toEqual(expect.any(Number));
      expect(await backend.get(ofDead.id)).toMatchObject({ status: 'cancelled' });
      expect(await backend.get(waiting.id)).toMatchObject({ status: 'pending', cancelRequested: true });
      expect(await backend.get(running.id)).toMatchObject({ status: 'running', cancelRequested: true });
      // The owner hears of it with its next heartbeat, and only of its own unfinished tasks.
      const reply = await backend.heartbeat('live', 60_000, {});
      expect(reply.cancelRequests.slice().sort()).toEqual([waiting.id, running.id].sort());
      expect((await backend.heartbeat('someone-else', 60_000, {})).cancelRequests).toEqual([]);
    });

    it("keeps a cancel request through the owner's later writes; a manual retry starts afresh", async () => {
      const backend = await h.connect();
      await backend.heartbeat('live', 60_000, {});
      const running = makeRecord({ owner: 'live', status: 'running', attempt: 1 });
      await backend.write([running]);
      expect(await backend.cancel(running.id)).toBe('requested');
      // The owner did not know yet: its progress write must not clear the request.
      await backend.write([{ ...running, progress: 50 }]);
      expect(await backend.get(running.id)).toMatchObject({ progress: 50, cancelRequested: true });
      await backend.write([
        { ...running, status: 'cancelled', finishedAt: Date.now(), cancelRequested: true },
      ]);
      const retried = {
        ...running,
        status: 'pending' as const,
        attempt: 0,
        owner: null,
        cancelRequested: false,
      };
      expect((await backend.write([retried])).fenced).toEqual([]);
      expect(await backend.get(running.id)).toMatchObject({ status: 'pending', cancelRequested: false });
    });

    it('reads many records in one call, leaving out unknown ids', async () => {
      const backend = await h.connect();
      const records = Array.from({ length: 5 }, () => makeRecord());
      await backend.write(records);
      const ids = [...records.map((record) => record.id), '00000000-0000-7000-8000-000000000000'];
      const found = await backend.getMany(ids);
      expect(found.map((record) => record.id).sort()).toEqual(records.map((record) => record.id).sort());
      expect(found.find((record) => record.id === records[2]!.id)).toEqual(records[2]);
      expect(await backend.getMany([])).toEqual([]);
    });

    it('claims unowned work only once due, highest priority first, then oldest', async () => {
      const backend = await h.connect();
      await backend.heartbeat('me', 60_000, {});
      const t0 = Date.now() - 10_000;
      const low = makeRecord({ owner: null, priority: 0, createdAt: t0 });
      const high = makeRecord({ owner: null, priority: 5, createdAt: t0 + 2 });
      const highOlder = makeRecord({ owner: null, priority: 5, createdAt: t0 + 1 });
      const later = makeRecord({ owner: null, priority: 9, createdAt: t0 + 3, runAt: Date.now() + 60_000 });
      await backend.write([low, high, highOlder, later]);
      const request = { instanceId: 'me', names: ['conformance.task'], limit: 10 };
      expect((await backend.claim(request)).map((record) => record.id)).toEqual([
        highOlder.id,
        high.id,
        low.id,
      ]);
      expect(await backend.get(later.id)).toEqual(later);
    });

    if (target.capabilities.notify) {
      it('wakes watching instances when unowned work is stored', async () => {
        const a = await h.connect();
        const b = await h.connect();
        let woken = 0;
        const unwatch = await b.watch!(() => {
          woken++;
        });
        try {
          await sleep(100);
          await a.notify!();
          const deadline = Date.now() + 2000;
          while (woken === 0 && Date.now() < deadline) await sleep(10);
          expect(woken).toBeGreaterThan(0);
        } finally {
          await unwatch();
        }
        const after = woken;
        await a.notify!();
        await sleep(200);
        expect(woken).toBe(after);
      });
    } else {
      it('says it cannot wake instances, so they poll for shared work', async () => {
        const backend = await h.connect();
        expect(backend.capabilities.notify).toBe(false);
        expect(typeof backend.watch).not.toBe('function');
      });
    }
  });
}
