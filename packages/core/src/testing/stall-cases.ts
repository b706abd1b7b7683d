import { BackendError, type SnapshotBackend, TaskManager } from '../index.js';
import { type ConformanceTarget, makeRecord } from './fixtures.js';
import { StallProxy } from './stall-proxy.js';
import { silentLogger, useStore } from './store-harness.js';
import { suite, type TestApi } from './test-api.js';

// Long enough for open() (migrations included) on a busy machine, short enough for a quick test.
const OPERATION_TIMEOUT = 1000;
/** Time a call may take beyond `operationTimeout` before the test calls it hung (timers on a busy CI box). */
const SLACK = 1500;

/**
 * A store that stops answering without closing the connection (a
 * black-holed path, a frozen server): every call must still end within
 * `operationTimeout` with a `BackendError`, and the backend must work again
 * once the path heals. Only for stores reached over the network.
 */
export function stallCases(target: ConformanceTarget, t: TestApi): void {
  const network = target.network;
  if (!network) return;
  const { it, expect, afterEach } = t;
  suite(t, target.skip)(`${target.name}: a stalled connection`, () => {
    const h = useStore(target, t);
    let proxy: StallProxy | null = null;
    const backends: SnapshotBackend[] = [];

    async function stallable(): Promise<{ proxy: StallProxy; backend: SnapshotBackend }> {
      const store = h.store;
      if (!store.connectThrough)
        throw new Error(`${target.name}: a target with network must give connectThrough`);
      proxy = await StallProxy.start(network!.endpoint);
      const backend = store.connectThrough('127.0.0.1', proxy.port, { operationTimeout: OPERATION_TIMEOUT });
      backends.push(backend);
      await backend.open({ logger: silentLogger });
      return { proxy, backend };
    }

    afterEach(async () => {
      proxy?.resume();
      await Promise.all(backends.splice(0).map((backend) => backend.close().catch(() => {})));
      await proxy?.close();
      proxy = null;
    });

    async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
      const started = performance.now();
      try {
        await call();
        return { ms: performance.now() - started, error: null };
      } catch (error) {
        return { ms: performance.now() - started, error };
      }
    }

    it('ends every call within operationTimeout with a BackendError, then works again once the path heals', async () => {
      const setup = await stallable();
      const { backend } = setup;
      const record = makeRecord();
      await backend.write([record]);
      setup.proxy.stall();
      const calls: Array<() => Promise<unknown>> = [
        () => backend.write([makeRecord()]),
        () => backend.get(record.id),
        () => backend.heartbeat('me', 10_000, {}),
        () => backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 5 }),
      ];
      for (const call of calls) {
        const { ms, error } = await timed(call);
        expect(error).toBeInstanceOf(BackendError);
        // A driver that gave up on the stalled socket and is reconnecting fails fast instead: as good.
        expect(['timeout', 'unavailable']).toContain((error as BackendError).failure);
        expect(ms).toBeLessThan(OPERATION_TIMEOUT + SLACK);
      }
      setup.proxy.resume();
      const deadline = Date.now() + 10_000;
      let stored = null;
      while (!stored && Date.now() < deadline) {
        stored = await backend.get(record.id).catch(() => null);
        if (!stored) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(stored).toEqual(record);
      const next = makeRecord();
      await backend.write([next]);
      const reader = await h.connect();
      expect(await reader.get(next.id)).toEqual(next);
    });

    it('keeps a durable manager honest on a stalled store: enqueue rejects in time, stats say so, stop() returns', async () => {
      const setup = await stallable();
      await setup.backend.close();
      const backend = h.store.connectThrough!('127.0.0.1', setup.proxy.port, {
        operationTimeout: OPERATION_TIMEOUT,
      });
      backends.push(backend);
      const manager = new TaskManager({ backend, durability: 'durable', logger: false, leaseTtl: 2000 });
      const ran: string[] = [];
      const job = manager.define('job', async (ctx) => void ran.push(ctx.id));
      await manager.start();
      const first = await job.enqueue();
      setup.proxy.stall();
      const { ms, error } = await timed(() => job.enqueue());
      expect(error).toBeInstanceOf(BackendError);
      expect(ms).toBeLessThan(OPERATION_TIMEOUT + SLACK);
      const health = manager.stats().backend!;
      expect(health.healthy).toBe(false);
      // Core's time limit, or the driver's own per-query one set to the same value (mysql2), whichever fires first.
      expect(health.lastError).toMatch(/operationTimeout|timeout/i);
      const stopped = await timed(() => manager.stop({ timeout: 500 }));
      expect(stopped.error).toBeNull();
      // The grace period, then at most the final flush's and the close's bounds.
      expect(stopped.ms).toBeLessThan(500 + 4000 + SLACK);
      expect(manager.state).toBe('stopped');
      expect(ran).toContain(first);
    });

    it('closes within a bound while the connection is stalled', async () => {
      const setup = await stallable();
      setup.proxy.stall();
      const { ms, error } = await timed(() => setup.backend.close());
      expect(error).toBeNull();
      expect(ms).toBeLessThan(OPERATION_TIMEOUT + SLACK);
    });
  });
}
