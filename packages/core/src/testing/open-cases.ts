import { InvalidStateError, SchemaVersionError, TaskManager } from '../index.js';
import { type ConformanceStore, type ConformanceTarget, makeRecord, sleep, waitFor } from './fixtures.js';
import { silentLogger } from './store-harness.js';
import { suite, type TestApi } from './test-api.js';

/**
 * A backend's life around its calls: refused before `open()` and after
 * `close()`, `open({ migrate: false })` for readers that must not change the
 * schema, and (stores that notify) an idle worker that does not poll.
 */
export function openCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect, beforeEach, afterEach } = t;
  // The in-memory store has nothing to open: it answers whenever it is asked.
  if (!target.capabilities.multiProcess) return;
  suite(t, target.skip)(`${target.name}: opening and closing`, () => {
    let store: ConformanceStore;
    const cleanups: Array<() => Promise<unknown>> = [];

    beforeEach(async () => {
      store = await target.setup();
    });

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
      await store.teardown();
    });

    it('refuses every call before open() and after close(), and opens again after close()', async () => {
      const backend = store.connect();
      cleanups.push(() => backend.close());
      const calls = [
        () => backend.write([makeRecord()]),
        () => backend.write([]),
        () => backend.get('x'),
        () => backend.getMany([]),
        () => backend.claim({ instanceId: 'me', names: ['a'], limit: 1 }),
        () => backend.now(),
        () => backend.heartbeat('me', 1000, {}),
        () => backend.cancel('x'),
        () => backend.aggregate({ since: 0, until: 1, bucketMs: 1, durationSample: 1 }),
        () => backend.setQueueOverride('q', { paused: true }),
        () => backend.acquire('k', 'me', 1, 1),
        () => backend.release('k', 'me', 1),
        () => backend.takeTokens('k', 1, { max: 1, perMs: 1 }),
        () =>
          backend.purge({ status: 'success', finishedBefore: 0, queues: null, excludeQueues: [], limit: 1 }),
        () => backend.tryLock('l', 'me', 1000),
        ...(backend.schedules ? [() => backend.schedules!.due(0, 1)] : []),
      ];
      for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidStateError);
      await backend.open({ logger: silentLogger });
      const record = makeRecord();
      await backend.write([record]);
      await backend.close();
      for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidStateError);
      await backend.close();
      await backend.open({ logger: silentLogger });
      expect(await backend.get(record.id)).toEqual(record);
    });

    it('opens an existing store with migrate: false, and refuses a missing one without creating it', async () => {
      const reader = store.connect();
      const missing = await reader.open({ logger: silentLogger, migrate: false }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(missing).toBeInstanceOf(SchemaVersionError);
      expect(missing).toMatchObject({ code: 'ERR_SCHEMA_VERSION', found: 0 });
      await reader.close();
      // Still missing: the refused open created nothing a second reader could find.
      const again = store.connect();
      await expect(again.open({ logger: silentLogger, migrate: false })).rejects.toMatchObject({ found: 0 });
      await again.close();

      const writer = store.connect();
      cleanups.push(() => writer.close());
      await writer.open({ logger: silentLogger });
      const record = makeRecord();
      await writer.write([record]);
      const existing = store.connect();
      cleanups.push(() => existing.close());
      await existing.open({ logger: silentLogger, migrate: false });
      expect(await existing.get(record.id)).toEqual(record);
    });

    if (target.capabilities.notify) {
      it('leaves an idle worker without polling, and wakes it at once when a producer stores shared work', async () => {
        const backend = store.connect();
        let claims = 0;
        const claim = backend.claim.bind(backend);
        backend.claim = (request) => {
          claims++;
          return claim(request);
        };
        const options = { logger: false as const, pollInterval: 50, takeoverInterval: 60_000 };
        const worker = new TaskManager({ ...options, backend, instanceId: 'worker' });
        const ran: string[] = [];
        worker.define('job', async (ctx) => void ran.push(ctx.id));
        const producer = new TaskManager({
          ...options,
          backend: store.connect(),
          instanceId: 'producer',
          runTasks: false,
        });
        producer.define('job', async () => {});
        for (const manager of [worker, producer]) {
          cleanups.push(() => manager.stop({ timeout: 0 }));
          await manager.start();
        }
        await sleep(300);
        claims = 0;
        await sleep(1000);
        // A poll every 50 ms would have claimed 20 times.
        expect(claims).toBe(0);
        const started = performance.now();
        const id = await producer.enqueue('job');
        await waitFor(() => ran.includes(id), 3000, 'the worker to run it');
        expect(performance.now() - started).toBeLessThan(1000);
      });
    }
  });
}
