import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendError,
  DuplicateTaskError,
  InvalidArgumentsError,
  InvalidOptionError,
  InvalidStateError,
  type ManagerOptions,
  MemoryBackend,
  type SnapshotBackend,
  TaskManager,
  TaskNotFoundError,
  type TaskSnapshot,
  UnknownTaskError,
} from '../src/index.js';
import { sleep, waitFor, waitForIdle } from '../src/testing/index.js';

const managers: TaskManager[] = [];

function make(options: ManagerOptions = {}): TaskManager {
  const manager = new TaskManager({ logger: false, ...options });
  managers.push(manager);
  return manager;
}

const idle = (manager: TaskManager) => waitForIdle(manager, 5000);

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
});

describe('TaskManager in memory', () => {
  it('runs a task with its arguments and context, and records the result', async () => {
    const manager = make();
    const add = manager.define('add', async (ctx, a: number, b: number) => {
      ctx.log('adding', { a, b });
      ctx.progress(50);
      expect(ctx.attempt).toBe(1);
      expect(ctx.signal.aborted).toBe(false);
      return a + b;
    });
    await manager.start();
    const id = await add.enqueue([2, 3]);
    await idle(manager);
    const record = await manager.get(id);
    expect(record).toMatchObject({ status: 'success', result: 5, attempt: 1, progress: 50, args: [2, 3] });
    expect(record?.logs).toEqual([{ at: expect.any(Number), message: 'adding', fields: { a: 2, b: 3 } }]);
    expect(record!.duration).toBeGreaterThanOrEqual(0);
    expect(record!.finishedAt).toBeGreaterThanOrEqual(record!.startedAt!);
  });

  it('emits lifecycle events in order', async () => {
    const manager = make();
    const events: string[] = [];
    for (const name of ['enqueued', 'started', 'success', 'failed', 'retrying'] as const) {
      manager.on(name, (task: TaskSnapshot) => events.push(`${name}:${task.attempt}`));
    }
    let calls = 0;
    const flaky = manager.define(
      'flaky',
      async () => {
        if (++calls < 3) throw new Error('not yet');
      },
      { retries: 2, retryDelay: 5 },
    );
    await manager.start();
    await flaky.enqueue();
    await idle(manager);
    expect(events).toEqual([
      'enqueued:0',
      'started:1',
      'retrying:1',
      'started:2',
      'retrying:2',
      'started:3',
      'success:3',
    ]);
  });

  it('retries with exponential backoff, capped, then fails with the last error', async () => {
    const manager = make();
    const delays: number[] = [];
    manager.on('retrying', (_task, _error, delay) => delays.push(delay));
    const failures: unknown[] = [];
    manager.on('failed', (_task, error) => failures.push(error));
    let attempt = 0;
    const broken = manager.define(
      'broken',
      async () => {
        throw new Error(`boom ${++attempt}`);
      },
      { retries: 4, retryDelay: 10, backoff: 3, maxRetryDelay: 100 },
    );
    await manager.start();
    const id = await broken.enqueue();
    await idle(manager);
    expect(delays).toEqual([10, 30, 90, 100]);
    const record = await manager.get(id);
    expect(record).toMatchObject({ status: 'failed', attempt: 5, maxAttempts: 5, error: 'boom 5' });
    expect(record?.stack).toContain('boom 5');
    expect(failures).toHaveLength(1);
  });

  it('fails an attempt that exceeds its timeout and aborts its signal', async () => {
    const manager = make();
    let abortedWith: unknown;
    const slow = manager.define(
      'slow',
      (ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            abortedWith = ctx.signal.reason;
            setTimeout(resolve, 5);
          });
        }),
      { timeout: 30 },
    );
    await manager.start();
    const id = await slow.enqueue();
    await idle(manager);
    expect(await manager.get(id)).toMatchObject({
      status: 'failed',
      error: 'task "slow" timed out after 30 ms',
    });
    expect(abortedWith).toMatchObject({ code: 'ERR_TASK_TIMEOUT' });
  });

  it('cancels pending and running tasks', async () => {
    const manager = make({ concurrency: 1 });
    const hold = manager.define(
      'hold',
      (ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    );
    const cancelled: string[] = [];
    manager.on('cancelled', (task) => cancelled.push(task.id));
    await manager.start();
    const running = await hold.enqueue();
    const queued = await hold.enqueue();
    await waitFor(() => manager.stats().running === 1, 1000, 'one running');
    expect(await manager.cancel(queued)).toBe(true);
    expect(await manager.cancel(running)).toBe(true);
    await idle(manager);
    expect(cancelled.sort()).toEqual([running, queued].sort());
    expect((await manager.get(running))?.status).toBe('cancelled');
    expect((await manager.get(queued))?.status).toBe('cancelled');
    expect(await manager.cancel(running)).toBe(false);
    expect(await manager.cancel('no-such-id')).toBe(false);
  });

  it('respects the manager-wide and per-name concurrency limits', async () => {
    const manager = make({ concurrency: 4 });
    let running = 0;
    let peak = 0;
    let peakLimited = 0;
    let runningLimited = 0;
    const body = (limited: boolean) => async () => {
      running++;
      if (limited) runningLimited++;
      peak = Math.max(peak, running);
      peakLimited = Math.max(peakLimited, runningLimited);
      await sleep(5);
      running--;
      if (limited) runningLimited--;
    };
    const limited = manager.define('limited', body(true), { concurrency: 1 });
    const free = manager.define('free', body(false));
    await manager.start();
    await Promise.all([
      ...Array.from({ length: 10 }, () => limited.enqueue()),
      ...Array.from({ length: 20 }, () => free.enqueue()),
    ]);
    await idle(manager);
    expect(peak).toBe(4);
    expect(peakLimited).toBe(1);
    expect(manager.stats().counts.success).toBe(30);
  });

  it('does not let a name at its limit block other names queued behind it', async () => {
    const manager = make({ concurrency: 2 });
    const order: string[] = [];
    const single = manager.define(
      'single',
      async () => {
        await sleep(40);
        order.push('single');
      },
      { concurrency: 1 },
    );
    const quick = manager.define('quick', async () => void order.push('quick'));
    await manager.start();
    await single.enqueue();
    await single.enqueue();
    await quick.enqueue();
    await idle(manager);
    expect(order).toEqual(['quick', 'single', 'single']);
  });

  it('runs delayed tasks no earlier than asked', async () => {
    const manager = make();
    const job = manager.define('job', async () => Date.now());
    await manager.start();
    const enqueuedAt = Date.now();
    const byDelay = await job.enqueue([], { delay: 60 });
    const byDate = await job.enqueue([], { runAt: new Date(enqueuedAt + 30) });
    expect(manager.stats().delayed).toBe(2);
    await idle(manager);
    expect((await manager.get(byDelay))!.result as number).toBeGreaterThanOrEqual(enqueuedAt + 60);
    expect((await manager.get(byDate))!.result as number).toBeGreaterThanOrEqual(enqueuedAt + 30);
  });

  it('returns the existing id for a held idempotency key and runs nothing new', async () => {
    const manager = make();
    let runs = 0;
    const job = manager.define('job', async () => void runs++);
    const failing = manager.define('failing', async () => {
      throw new Error('x');
    });
    await manager.start();
    const first = await job.enqueue([], { idempotencyKey: 'k' });
    expect(await job.enqueue([], { idempotencyKey: 'k' })).toBe(first);
    await idle(manager);
    expect(await job.enqueue([], { idempotencyKey: 'k' })).toBe(first);
    expect(runs).toBe(1);
    // A failed task releases its key.
    const failed = await failing.enqueue([], { idempotencyKey: 'f' });
    await idle(manager);
    expect(await failing.enqueue([], { idempotencyKey: 'f' })).not.toBe(failed);
  });

  it('rejects arguments that would not survive JSON, with the path of the problem', async () => {
    const manager = make();
    const job = manager.define('job', async () => {});
    await manager.start();
    const cycle: Record<string, unknown> = {};
    // A sparse array is the point of one case.
    // biome-ignore lint/suspicious/noSparseArray: deliberately sparse
    const sparse = [1, , 3];
    cycle.self = cycle;
    const cases: Array<[unknown[], string]> = [
      [[() => 1], 'args[0] is a function'],
      [[{ when: new Date() }], 'args[0].when is a Date instance'],
      [[10n], 'args[0] is a BigInt'],
      [[Number.NaN], 'args[0] is NaN'],
      [[Number.POSITIVE_INFINITY], 'args[0] is Infinity'],
      [[new Map()], 'args[0] is a Map instance'],
      [[cycle], 'args[0].self is a circular reference'],
      [[undefined], 'args[0] is undefined'],
      [[sparse], 'args[0][1] is a hole'],
      [[{ [Symbol('s')]: 1 }], 'args[0] has symbol keys'],
      [[new (class Point {})()], 'args[0] is a Point instance'],
    ];
    for (const [args, message] of cases) {
      const error = await job.enqueue(args as []).catch((e: unknown) => e);
      expect(error, message).toBeInstanceOf(InvalidArgumentsError);
      expect((error as InvalidArgumentsError).message).toContain(message);
      expect((error as InvalidArgumentsError).code).toBe('ERR_INVALID_ARGS');
    }
    // Plain JSON is fine, including null prototypes and undefined properties.
    await expect(
      job.enqueue([
        { a: [1, 'x', null, true, { b: 2.5 }] },
        Object.create(null),
        { skip: undefined },
      ] as unknown as []),
    ).resolves.toEqual(expect.any(String));
    expect(
      manager.stats().counts.pending + manager.stats().counts.running + manager.stats().counts.success,
    ).toBe(1);
  });

  it('gives typed errors for misuse', async () => {
    const manager = make();
    const job = manager.define('job', async () => {});
    expect(() => manager.define('job', async () => {})).toThrow(DuplicateTaskError);
    expect(() => manager.define('', async () => {})).toThrow(InvalidOptionError);
    expect(() => manager.define('x', async () => {}, { retries: -1 })).toThrow(InvalidOptionError);
    expect(() => manager.define('y', async () => {}, { jitter: 2 })).toThrow(InvalidOptionError);
    expect(() => new TaskManager({ durability: 'durable' })).toThrow(InvalidOptionError);
    expect(() => new TaskManager({ concurrency: 0 })).toThrow(InvalidOptionError);
    await expect(job.enqueue()).rejects.toBeInstanceOf(InvalidStateError);
    await manager.start();
    await expect(manager.enqueue('nope')).rejects.toBeInstanceOf(UnknownTaskError);
    await expect(job.enqueue([], { delay: -5 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(job.enqueue([], { delay: 5, runAt: Date.now() })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(job.enqueue([], { idempotencyKey: '' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(manager.retry('missing')).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(() => manager.list({ status: 'bogus' as never })).toThrow(InvalidOptionError);
    expect(() => manager.list({ cursor: 'garbage' })).toThrow(InvalidOptionError);
    await manager.stop();
    await expect(job.enqueue()).rejects.toBeInstanceOf(InvalidStateError);
    await expect(manager.start()).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('retries a failed task under the same id', async () => {
    const manager = make();
    let fail = true;
    const job = manager.define('job', async () => {
      if (fail) throw new Error('down');
      return 'up';
    });
    await manager.start();
    const id = await job.enqueue();
    await idle(manager);
    await expect(manager.retry(id)).resolves.toBe(id);
    await idle(manager);
    expect((await manager.get(id))?.status).toBe('failed');
    fail = false;
    await manager.retry(id);
    await idle(manager);
    const record = await manager.get(id);
    expect(record).toMatchObject({ status: 'success', result: 'up', attempt: 1 });
    expect(record?.logs.filter((line) => line.message.startsWith('retried manually'))).toHaveLength(2);
    await expect(manager.retry(id)).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('keeps at most maxRecords finished records in memory, evicting the oldest', async () => {
    const manager = make({ maxRecords: 10 });
    const job = manager.define('job', async (_ctx, n: number) => n);
    await manager.start();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push(await job.enqueue([i]));
      await idle(manager);
    }
    expect(manager.stats().retained).toBe(10);
    expect(await manager.get(ids[0]!)).toBeUndefined();
    expect((await manager.get(ids[24]!))?.result).toBe(24);
    expect(manager.list({ limit: 100 }).records.map((record) => record.result)).toEqual([
      24, 23, 22, 21, 20, 19, 18, 17, 16, 15,
    ]);
  });

  it('pages list() with cursors', async () => {
    const manager = make();
    const job = manager.define('job', async (_ctx, n: number) => n);
    await manager.start();
    for (let i = 0; i < 7; i++) await job.enqueue([i]);
    await idle(manager);
    const first = manager.list({ limit: 3 });
    const second = manager.list({ limit: 3, cursor: first.nextCursor! });
    const third = manager.list({ limit: 3, cursor: second.nextCursor! });
    expect([...first.records, ...second.records, ...third.records].map((r) => r.result)).toEqual([
      6, 5, 4, 3, 2, 1, 0,
    ]);
    expect(third.nextCursor).toBeNull();
  });

  it('counts with a filter without a store', async () => {
    const manager = make();
    const ok = manager.define('ok', async () => 1);
    const bad = manager.define('bad', async () => {
      throw new Error('no');
    });
    await manager.start();
    await ok.enqueue([]);
    await ok.enqueue([]);
    await bad.enqueue([]);
    await idle(manager);
    expect((await manager.counts()).success).toBe(2);
    expect(await manager.counts({ name: 'ok' })).toMatchObject({ success: 2, failed: 0 });
    expect(await manager.counts({ name: 'bad' })).toMatchObject({ success: 0, failed: 1 });
    expect((await manager.counts({ status: 'failed' })).success).toBe(0);
  });

  it('interrupts tasks still running when stop() runs out of time', async () => {
    const manager = make();
    let reason: unknown;
    const stuck = manager.define(
      'stuck',
      (ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            reject(ctx.signal.reason);
          }),
        ),
    );
    const quick = manager.define('quick', async () => sleep(20));
    const interrupted: string[] = [];
    manager.on('interrupted', (task) => interrupted.push(task.id));
    await manager.start();
    const stuckId = await stuck.enqueue();
    const quickId = await quick.enqueue();
    await waitFor(() => manager.stats().running === 2, 1000, 'both running');
    const started = Date.now();
    await manager.stop({ timeout: 100 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(interrupted).toEqual([stuckId]);
    expect(reason).toMatchObject({ code: 'ERR_SHUTDOWN' });
    expect(manager.list({ status: 'interrupted' }).records.map((r) => r.id)).toEqual([stuckId]);
    expect(manager.list({ status: 'success' }).records.map((r) => r.id)).toEqual([quickId]);
  });

  it('is disposable with await using semantics', async () => {
    const manager = make();
    await manager.start();
    await manager[Symbol.asyncDispose]();
    expect(manager.state).toBe('stopped');
  });

  it('survives a listener that throws', async () => {
    const errors: string[] = [];
    const manager = make({ logger: { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) } });
    manager.on('success', () => {
      throw new Error('listener bug');
    });
    const job = manager.define('job', async () => 1);
    await manager.start();
    const id = await job.enqueue();
    await idle(manager);
    expect((await manager.get(id))?.status).toBe('success');
    expect(errors).toEqual(['a listener of "success" threw']);
  });
});

/** A backend that can be switched off, to act out an outage. */
function flaky(inner: SnapshotBackend): { backend: SnapshotBackend; down: (value: boolean) => void } {
  let isDown = false;
  const backend = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function' || property === 'open' || property === 'close') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) =>
        isDown ? Promise.reject(new Error('connection refused')) : value.apply(target, args);
    },
  });
  return { backend, down: (value) => (isDown = value) };
}

describe('TaskManager instance metadata', () => {
  it('publishes changed metadata and its leaseTtl at once, not at the next heartbeat', async () => {
    const backend = new MemoryBackend();
    const manager = make({ backend, leaseTtl: 60_000, heartbeatInterval: 20_000 });
    await manager.start();
    const started = performance.now();
    manager.setInstanceMeta({ scheduler: 'firing' });
    await waitFor(
      async () => (await backend.instances())[0]?.meta.scheduler === 'firing',
      2000,
      'the role in the store',
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await backend.instances())[0]?.meta.leaseTtl).toBe(60_000);
  });
});

describe('TaskManager during a backend outage', () => {
  it('keeps running tasks, retries flushes and loses nothing once the backend returns', async () => {
    const store = new MemoryBackend();
    const { backend, down } = flaky(store);
    const manager = make({ backend, snapshotInterval: 50 });
    const errors: BackendError[] = [];
    manager.on('backendError', (error) => errors.push(error));
    const job = manager.define('job', async (_ctx, n: number) => n);
    await manager.start();
    down(true);
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => job.enqueue([i])));
    await idle(manager);
    expect(manager.stats().counts.success).toBe(20);
    await waitFor(() => manager.stats().backend?.healthy === false, 1000, 'unhealthy backend');
    expect(errors[0]).toBeInstanceOf(BackendError);
    expect(errors[0]?.operation).toBe('write');
    for (const id of ids) expect(await store.get(id)).toBeNull();
    down(false);
    await waitFor(() => manager.stats().backend?.healthy === true, 3000, 'healthy backend');
    await waitFor(async () => (await manager.counts()).success === 20, 3000, 'all flushed');
    expect(manager.stats().backend?.dirty).toBe(0);
  });

  it('rejects a durable enqueue with BackendError when the store is down, and accepts nothing', async () => {
    const store = new MemoryBackend();
    const { backend, down } = flaky(store);
    const manager = make({ backend, durability: 'durable' });
    let runs = 0;
    const job = manager.define('job', async () => void runs++);
    await manager.start();
    down(true);
    const error = await job.enqueue().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe('ERR_BACKEND');
    await sleep(20);
    expect(runs).toBe(0);
    expect(manager.stats().retained).toBe(0);
    down(false);
    await job.enqueue();
    await idle(manager);
    expect(runs).toBe(1);
  });

  it('fails start() with a BackendError when the store cannot be reached', async () => {
    const backend = new MemoryBackend();
    backend.open = async () => {
      throw new Error('ECONNREFUSED 127.0.0.1:1');
    };
    const manager = make({ backend });
    const error = await manager.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(manager.state).toBe('idle');
  });
});

describe('TaskManager with several writes in flight', () => {
  it('never lets an older write of a record land after a newer one', async () => {
    const store = new MemoryBackend();
    // Each write takes a random 0-8 ms, so concurrent writes finish in any order.
    const backend = new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property === 'write') {
          return async (records: Parameters<MemoryBackend['write']>[0]) => {
            await sleep(Math.random() * 8);
            return target.write(records);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const manager = make({ backend, durability: 'durable', maxWritesInFlight: 4, concurrency: 16 });
    const chatty = manager.define('chatty', async (ctx, n: number) => {
      for (let i = 1; i <= 5; i++) {
        ctx.progress(i * 20);
        ctx.log(`step ${i}`);
        await sleep(Math.random() * 3);
      }
      return n;
    });
    await manager.start();
    const ids = await Promise.all(Array.from({ length: 200 }, (_, n) => chatty.enqueue([n])));
    await idle(manager);
    await waitFor(() => manager.stats().backend?.dirty === 0, 5000, 'every write to land');
    await sleep(20);
    for (const id of ids) {
      const stored = await store.get(id);
      expect(stored, id).toEqual(await manager.get(id));
      expect(stored).toMatchObject({ status: 'success', progress: 100 });
      expect(stored?.logs).toHaveLength(5);
    }
  });
});
