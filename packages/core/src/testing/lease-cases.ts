import type { SnapshotBackend, TaskRecord } from '../index.js';
import { type ConformanceTarget, makeRecord } from './fixtures.js';
import { useStore } from './store-harness.js';
import { suite, type TestApi } from './test-api.js';

/** Cases on heartbeats and claims: who may take which unfinished work, and when. */
export function leaseCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: heartbeats and claims`, () => {
    const h = useStore(target, t);

    it('keeps heartbeats on the store clock and forgets removed instances', async () => {
      const backend = await h.connect();
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
      const backend = await h.connect();
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
      const backend = await h.connect();
      const t0 = Date.now() - 1000;
      const records = Array.from({ length: 10 }, (_, i) => makeRecord({ owner: 'gone', createdAt: t0 + i }));
      await backend.write(records.slice().reverse());
      await backend.heartbeat('me', 60_000, {});
      const first = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 4 });
      expect(first.map((record) => record.id)).toEqual(records.slice(0, 4).map((record) => record.id));
    });

    it('never gives the same record to two instances claiming at once', async () => {
      const a = await h.connect();
      const b = await h.connect();
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
      const stored = await h.all(a);
      expect(stored.filter((record) => record.owner === 'a')).toHaveLength(claimedA.length);
      expect(stored.filter((record) => record.owner === 'b')).toHaveLength(claimedB.length);
    });

    it("takes nothing while the claimer's own heartbeat is missing or expired", async () => {
      const backend = await h.connect();
      const orphans = Array.from({ length: 3 }, () => makeRecord({ owner: 'gone', status: 'pending' }));
      await backend.write(orphans);
      const request = { instanceId: 'me', names: ['conformance.task'], limit: 10 };
      // Never registered: an instance that lost its lease must not take work.
      expect(await backend.claim(request)).toEqual([]);
      await backend.heartbeat('me', 1, {});
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await backend.claim(request)).toEqual([]);
      expect(await backend.claim({ ...request, deadOwners: ['gone'] })).toEqual([]);
      for (const record of orphans) expect(await backend.get(record.id)).toEqual(record);
      // Once its heartbeat is alive again, it may.
      await backend.heartbeat('me', 60_000, {});
      expect((await backend.claim(request)).map((record) => record.id).sort()).toEqual(
        orphans.map((record) => record.id).sort(),
      );
    });

    it("takes the work of owners proven dead at once, its own id included, and no one else's", async () => {
      const backend = await h.connect();
      await backend.heartbeat('me', 60_000, {});
      await backend.heartbeat('predecessor', 60_000, {});
      await backend.heartbeat('neighbour', 60_000, {});
      const t0 = Date.now() - 1000;
      const ofPredecessor = makeRecord({
        owner: 'predecessor',
        status: 'running',
        attempt: 1,
        createdAt: t0,
      });
      const ofMine = makeRecord({ owner: 'me', status: 'pending', createdAt: t0 + 1 });
      const ofNeighbour = makeRecord({ owner: 'neighbour', status: 'pending', createdAt: t0 + 2 });
      await backend.write([ofPredecessor, ofMine, ofNeighbour]);
      const request = { instanceId: 'me', names: ['conformance.task'], limit: 10 };
      // Alive by their heartbeats, so untouched without proof...
      expect(await backend.claim(request)).toEqual([]);
      // ...and taken at once with it.
      const claimed = await backend.claim({ ...request, deadOwners: ['predecessor', 'me'] });
      expect(claimed.map((record) => record.id)).toEqual([ofPredecessor.id, ofMine.id]);
      expect(claimed[0]).toMatchObject({ owner: 'me', status: 'interrupted' });
      expect(claimed[0]!.error).toContain('predecessor');
      expect(claimed[1]).toMatchObject({ owner: 'me', status: 'pending' });
      expect(await backend.get(ofNeighbour.id)).toEqual(ofNeighbour);
    });

    it("takes only the proven-dead owners' work when asked to", async () => {
      const backend = await h.connect();
      await backend.heartbeat('me', 60_000, {});
      const mine = makeRecord({ owner: 'me', status: 'running', attempt: 1 });
      const orphan = makeRecord({ owner: 'gone', status: 'pending' });
      const unowned = makeRecord({ owner: null, status: 'pending' });
      await backend.write([mine, orphan, unowned]);
      const claimed = await backend.claim({
        instanceId: 'me',
        names: ['conformance.task'],
        limit: 10,
        deadOwners: ['me'],
        onlyDeadOwners: true,
      });
      expect(claimed.map((record) => record.id)).toEqual([mine.id]);
      expect(claimed[0]).toMatchObject({ status: 'interrupted', owner: 'me' });
      expect(await backend.get(orphan.id)).toEqual(orphan);
      expect(await backend.get(unowned.id)).toEqual(unowned);
    });

    it('claims nothing for no names or a limit of zero', async () => {
      const backend = await h.connect();
      await backend.heartbeat('me', 60_000, {});
      await backend.write([makeRecord({ owner: 'gone' })]);
      expect(await backend.claim({ instanceId: 'me', names: [], limit: 10 })).toEqual([]);
      expect(await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 0 })).toEqual([]);
    });
  });
}
