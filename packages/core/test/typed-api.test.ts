import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBackend, TaskManager, task } from '../src/index.js';
import { waitForIdle } from '../src/testing/index.js';

const managers: TaskManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 })));
});

describe('tasks declared with the manager', () => {
  it('are defined at construction, enqueued by name or handle, and read back with their result', async () => {
    const manager = new TaskManager({
      logger: false,
      tasks: {
        double: task(async (_ctx, n: number) => n * 2, { retries: 1 }),
      },
    });
    managers.push(manager);
    expect(manager.taskNames).toEqual(['double']);
    await manager.start();
    const byName = await manager.enqueue('double', [2]);
    const byHandle = await manager.tasks.double.enqueue([5]);
    await waitForIdle(manager, 5000);
    expect((await manager.tasks.double.get(byName))?.result).toBe(4);
    expect(await manager.tasks.double.get(byHandle)).toMatchObject({ result: 10, maxAttempts: 2 });
    expect((await manager.tasks.double.query()).records.map((record) => record.result).sort()).toEqual([
      10, 4,
    ]);
  });
});

describe('submit()', () => {
  it('says when an idempotency key was already held, in memory and in a durable store', async () => {
    for (const options of [{}, { backend: new MemoryBackend(), durability: 'durable' as const }]) {
      const manager = new TaskManager({ logger: false, ...options });
      managers.push(manager);
      const charge = manager.define('charge', async (_ctx, _order: string) => {});
      await manager.start();
      const first = await charge.submit(['o-1'], { idempotencyKey: 'order:1' });
      const again = await charge.submit(['o-1'], { idempotencyKey: 'order:1' });
      const other = await manager.submit('charge', ['o-2'], { idempotencyKey: 'order:2' });
      expect(first).toEqual({ id: expect.any(String), deduplicated: false });
      expect(again).toEqual({ id: first.id, deduplicated: true });
      expect(other.deduplicated).toBe(false);
    }
  });
});

describe('series() and overview()', () => {
  it('chart the history per bucket and status, with duration percentiles per task, and sum up the fleet', async () => {
    const manager = new TaskManager({ logger: false, backend: new MemoryBackend() });
    managers.push(manager);
    const quick = manager.define('quick', async (_ctx, fail: boolean) => {
      if (fail) throw new Error('no');
    });
    await manager.start();
    await Promise.all([false, false, false, true].map((fail) => quick.enqueue([fail])));
    await waitForIdle(manager, 5000, 50);
    const chart = await manager.series({ window: '1h' });
    expect(chart.bucketMs).toBe(60_000);
    expect(chart.buckets).toHaveLength(60);
    const total = chart.buckets.reduce((sum, bucket) => sum + bucket.success + bucket.failed, 0);
    expect(total).toBe(4);
    expect(chart.buckets.at(-1)).toMatchObject({ success: 3, failed: 1 });
    expect(chart.durations).toEqual([
      { name: 'quick', p50: expect.any(Number), p95: expect.any(Number), count: 3 },
    ]);
    const summary = await manager.overview();
    expect(summary).toMatchObject({
      counts: expect.objectContaining({ success: 3, failed: 1 }),
      lastHour: expect.objectContaining({ success: 3, failed: 1 }),
      successRate: 0.75,
      oldestPendingAgeMs: null,
      backend: { name: 'memory', healthy: true },
    });
    expect(summary.instances).toEqual([expect.objectContaining({ id: manager.instanceId, health: 'live' })]);
  });
});

describe('cancel()', () => {
  it('answers false for a task that finished here, even before its final write reached the store', async () => {
    const inner = new MemoryBackend();
    let slow = false;
    const backend = new Proxy(inner, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (property === 'write' && slow) await new Promise((resolve) => setTimeout(resolve, 300));
          return value.apply(target, args);
        };
      },
    });
    const manager = new TaskManager({ logger: false, backend, durability: 'durable' });
    managers.push(manager);
    const quick = manager.define('quick', async () => 'done');
    await manager.start();
    slow = true;
    const id = await quick.enqueue();
    await new Promise<void>((resolve) => manager.once('success', () => resolve()));
    // The store still says running: only the local record knows it finished.
    expect((await inner.get(id))?.status).toBe('running');
    expect(await manager.cancel(id)).toBe(false);
  });
});
