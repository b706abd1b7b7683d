import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentsError,
  type ManagerOptions,
  MemoryBackend,
  QueueFullError,
  type SnapshotBackend,
  TaskManager,
} from '../src/index.js';
import { sleep, waitFor, waitForIdle } from '../src/testing/index.js';

const managers: TaskManager[] = [];

function make(options: ManagerOptions = {}): TaskManager {
  const manager = new TaskManager({ logger: false, ...options });
  managers.push(manager);
  return manager;
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
});

/** Counts the backend's write calls (a real MemoryBackend underneath). */
function counting(inner: SnapshotBackend = new MemoryBackend()) {
  const calls = { write: 0 };
  const backend = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (property === 'write') calls.write++;
        return value.apply(target, args);
      };
    },
  });
  return { backend, calls };
}

describe('named queues', () => {
  it('hold their own concurrency, and a full queue refuses with QueueFullError, keeping a rejected record', async () => {
    const manager = make({ queues: { email: { concurrency: 2, maxSize: 3 } }, concurrency: 10 });
    let running = 0;
    let most = 0;
    const mail = manager.define(
      'mail',
      async () => {
        running++;
        most = Math.max(most, running);
        await sleep(40);
        running--;
      },
      { queue: 'email' },
    );
    await manager.start();
    // Two start at once, three wait: the queue is then full.
    const ids = await Promise.all(Array.from({ length: 5 }, () => mail.enqueue()));
    const refused = await mail.enqueue().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).code).toBe('ERR_QUEUE_FULL');
    const rejected = await manager.get((refused as QueueFullError).taskId);
    expect(rejected).toMatchObject({ status: 'rejected', queue: 'email', error: 'queue "email" was full' });
    await waitForIdle(manager, 5000);
    expect(most).toBe(2);
    for (const id of ids) expect((await manager.get(id))?.status).toBe('success');
    expect((await manager.counts()).rejected).toBe(1);
  });

  it('pause and resume: tasks wait while paused, then run', async () => {
    const manager = make({ queues: { reports: {} } });
    const ran: string[] = [];
    const report = manager.define('report', async (ctx) => void ran.push(ctx.id), { queue: 'reports' });
    await manager.start();
    await manager.pauseQueue('reports');
    const id = await report.enqueue();
    await sleep(50);
    expect(ran).toEqual([]);
    expect(manager.queues().find((queue) => queue.name === 'reports')).toMatchObject({
      paused: true,
      overridden: true,
    });
    await manager.resumeQueue('reports');
    await waitFor(() => ran.length === 1, 2000, 'the report to run');
    expect(ran).toEqual([id]);
    expect((await manager.resetQueue('reports')).overridden).toBe(false);
  });
});

describe('priorities', () => {
  it('run higher first, first come first served among equals, and never starve the low ones', async () => {
    const manager = make({ concurrency: 1, priorityAging: 200 });
    const order: string[] = [];
    const hold = manager.define('hold', async () => sleep(60));
    const job = manager.define('job', async (_ctx, tag: string) => void order.push(tag));
    await manager.start();
    await hold.enqueue();
    await job.enqueue(['low-1'], { priority: 0 });
    await job.enqueue(['high-1'], { priority: 5 });
    await job.enqueue(['low-2'], { priority: 0 });
    await job.enqueue(['high-2'], { priority: 5 });
    await waitForIdle(manager, 3000);
    expect(order).toEqual(['high-1', 'high-2', 'low-1', 'low-2']);
    // Aging: a task that waited long enough (here 200 ms per point) goes before a newer higher one.
    order.length = 0;
    await hold.enqueue();
    await job.enqueue(['old-low'], { priority: 0 });
    await sleep(450);
    await job.enqueue(['new-high'], { priority: 2 });
    await waitForIdle(manager, 3000);
    expect(order).toEqual(['old-low', 'new-high']);
  });
});

describe('tags', () => {
  it('are key/value pairs stored with the record and queried by every pair given', async () => {
    const manager = make({ backend: new MemoryBackend() });
    const job = manager.define('job', async () => {});
    await manager.start();
    const a = await job.enqueue([], { tags: { userId: '42', source: 'signup' } });
    await job.enqueue([], { tags: { userId: '7' } });
    await waitForIdle(manager, 3000, 20);
    expect((await manager.query({ tags: { userId: '42' } })).records.map((r) => r.id)).toEqual([a]);
    expect((await manager.query({ tags: { userId: '42', source: 'x' } })).records).toEqual([]);
    expect(manager.list({ tags: { source: 'signup' } }).records[0]?.tags).toEqual({
      userId: '42',
      source: 'signup',
    });
    await expect(job.enqueue([], { tags: ['old'] as never })).rejects.toThrow(/tags must be an object/);
  });
});

describe('rate limits', () => {
  it('let a burst of max start, then max per period on average; the others wait, none is dropped', async () => {
    const manager = make({ queues: { api: { rateLimit: { max: 3, per: 300 } } } });
    const starts: number[] = [];
    const call = manager.define('call', async () => void starts.push(performance.now()), { queue: 'api' });
    await manager.start();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 7 }, () => call.enqueue()));
    await waitFor(() => starts.length === 7, 5000, 'all seven to start');
    // Three at once (the bucket is full), then one per 100 ms as it refills.
    expect(starts.filter((at) => at - t0 < 50)).toHaveLength(3);
    expect(starts[3]! - t0).toBeGreaterThanOrEqual(90);
    expect(starts[6]! - t0).toBeGreaterThanOrEqual(390);
  });
});

describe('enqueueMany()', () => {
  it('checks every item first, stores all in one write, keeps each key, and answers ids in order', async () => {
    const { backend, calls } = counting();
    const manager = make({ backend, durability: 'durable' });
    const job = manager.define('job', async (_ctx, n: number) => n);
    await manager.start();
    const before = calls.write;
    const ids = await job.enqueueMany([
      [[1]],
      [[2], { idempotencyKey: 'k' }],
      [[3], { delay: 200 }],
      [[4], { idempotencyKey: 'k' }],
    ]);
    expect(calls.write - before).toBe(1);
    expect(ids[1]).toBe(ids[3]);
    expect(new Set(ids).size).toBe(3);
    await waitForIdle(manager, 3000, 20);
    expect((await manager.get(ids[2]!))?.result).toBe(3);
    // One bad item: nothing stored at all.
    const countBefore = (await manager.counts()).success;
    await expect(job.enqueueMany([[[5]], [[(() => {}) as unknown as number]]])).rejects.toBeInstanceOf(
      InvalidArgumentsError,
    );
    await sleep(50);
    expect((await manager.counts()).success).toBe(countBefore);
  });
});

describe('start deadlines, snooze', () => {
  it('expire a task not started by its deadline instead of running it late', async () => {
    const manager = make({ concurrency: 1 });
    const hold = manager.define('hold', async () => sleep(150));
    const late = manager.define('late', async () => 'ran');
    await manager.start();
    await hold.enqueue();
    const id = await late.enqueue([], { expiresIn: 50 });
    await waitForIdle(manager, 3000);
    expect(await manager.get(id)).toMatchObject({ status: 'expired', result: null });
  });

  it('puts a snoozed task back without using an attempt', async () => {
    const manager = make();
    let calls = 0;
    const poll = manager.define('poll', async (ctx) => {
      calls++;
      if (calls < 3) return ctx.snooze(20);
      return ctx.attempt;
    });
    await manager.start();
    const id = await poll.enqueue();
    await waitFor(async () => (await manager.get(id))?.status === 'success', 3000, 'success');
    expect(await manager.get(id)).toMatchObject({ attempt: 1, result: 1 });
    expect(calls).toBe(3);
  });
});

describe('retention', () => {
  it('deletes finished records past their retention, per queue, and never an unfinished one', async () => {
    const store = new MemoryBackend();
    const manager = make({
      backend: store,
      durability: 'durable',
      retention: { success: 50, failed: null },
      queues: { audit: { retention: { success: null } } },
    });
    const ok = manager.define('ok', async () => {});
    const bad = manager.define('bad', async () => {
      throw new Error('no');
    });
    const audit = manager.define('audit', async () => {}, { queue: 'audit' });
    const slow = manager.define('slow', async () => sleep(400));
    await manager.start();
    const [okId, badId, auditId, slowId] = await Promise.all([
      ok.enqueue(),
      bad.enqueue(),
      audit.enqueue(),
      slow.enqueue(),
    ]);
    await waitFor(async () => (await store.get(okId))?.status === 'success', 2000, 'ok stored');
    await sleep(100);
    expect(await manager.runRetention()).toBe(1);
    expect(await store.get(okId)).toBeNull();
    expect(await store.get(badId)).not.toBeNull();
    expect(await store.get(auditId)).not.toBeNull();
    expect((await store.get(slowId))?.status).toMatch(/pending|running/);
  });
});

describe('middleware', () => {
  it('wraps every enqueue (tags, veto) and every attempt, in registration order', async () => {
    const manager = make();
    const trail: string[] = [];
    manager.use({
      async enqueue(task, next) {
        if (task.args[0] === 'forbidden') throw new Error('vetoed');
        task.tags.source = 'api';
        trail.push('enqueue:outer');
        await next();
      },
      async execute(ctx, next) {
        trail.push(`before:${ctx.name}`);
        const value = await next();
        trail.push('after');
        return value;
      },
    });
    manager.use({
      async execute(_ctx, next) {
        trail.push('inner');
        return next();
      },
    });
    const echo = manager.define('echo', async (_ctx, text: string) => text.toUpperCase());
    await manager.start();
    const id = await echo.enqueue(['hi']);
    await waitForIdle(manager, 3000);
    expect(await manager.get(id)).toMatchObject({ result: 'HI', tags: { source: 'api' } });
    expect(trail).toEqual(['enqueue:outer', 'before:echo', 'inner', 'after']);
    await expect(echo.enqueue(['forbidden'])).rejects.toThrow('vetoed');
    expect(manager.list({ name: 'echo' }).records).toHaveLength(1);
  });
});

describe("testing: 'inline'", () => {
  it('runs each task inside enqueue(), without start(), with retries at once', async () => {
    const manager = make({ testing: 'inline' });
    let tries = 0;
    const flaky = manager.define(
      'flaky',
      async (_ctx, to: string) => {
        if (++tries < 2) throw new Error('once');
        return `sent to ${to}`;
      },
      { retries: 3, retryDelay: 60_000 },
    );
    const id = await flaky.enqueue(['ada']);
    expect(await manager.get(id)).toMatchObject({ status: 'success', result: 'sent to ada', attempt: 2 });
    expect(manager.testing.enqueued('flaky').map((record) => record.id)).toEqual([id]);
    await manager.testing.drain();
  });
});
