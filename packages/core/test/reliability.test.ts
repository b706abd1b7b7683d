import { fork } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendError,
  InvalidArgumentsError,
  InvalidOptionError,
  type ManagerOptions,
  MemoryBackend,
  maskSecrets,
  type SnapshotBackend,
  TaskManager,
  type TaskRecord,
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

/**
 * A real MemoryBackend whose writes the test can break: `refuse` makes the
 * store refuse (as data) every batch holding a matching record, as a
 * database refuses a row it cannot hold; `down` makes every call fail.
 */
function breakable(inner: SnapshotBackend = new MemoryBackend()) {
  const faults = { refuse: (_record: TaskRecord) => false, down: false, writes: 0 };
  const backend = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (faults.down) throw new BackendError('memory', String(property), new Error('store down'));
        if (property === 'write') {
          faults.writes++;
          const records = args[0] as TaskRecord[];
          if (records.some((record) => faults.refuse(record))) {
            throw new BackendError('memory', 'write', new Error('value too large for the column'), 'refused');
          }
        }
        return value.apply(target, args);
      };
    },
  });
  return { backend, inner, faults };
}

describe('whatever a task throws', () => {
  it('becomes a failed attempt with a readable message, never a crash', async () => {
    const manager = make();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const throwingGetter = new Error('base');
    Object.defineProperty(throwingGetter, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    const values: Record<string, unknown> = {
      bigint: 10n,
      cyclic,
      symbol: Symbol('odd'),
      nil: null,
      nothing: undefined,
      getter: throwingGetter,
      proxy: new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error('trap');
          },
          getPrototypeOf: () => {
            throw new Error('trap');
          },
        },
      ),
      text: 'plain words',
    };
    const handles = Object.entries(values).map(([name, thrown]) =>
      manager.define(name, async () => {
        throw thrown;
      }),
    );
    await manager.start();
    const ids = await Promise.all(handles.map((handle) => handle.enqueue()));
    await waitForIdle(manager, 5000);
    const messages: Record<string, string | null> = {};
    for (const [i, id] of ids.entries()) {
      const record = await manager.get(id);
      expect(record?.status, handles[i]!.name).toBe('failed');
      messages[handles[i]!.name] = record!.error;
    }
    expect(messages).toEqual({
      bigint: '10n',
      cyclic: '[object Object]',
      symbol: 'Symbol(odd)',
      nil: 'null',
      nothing: 'undefined',
      getter: 'Error',
      proxy: '[object Object]',
      text: 'plain words',
    });
  });

  it('reports a getter that throws inside the arguments as InvalidArgumentsError at its path', async () => {
    const manager = make();
    const job = manager.define('job', async (_ctx, _input: unknown) => {});
    await manager.start();
    const input = {
      user: {
        get email(): string {
          throw new Error('lazy field');
        },
      },
    };
    await expect(job.enqueue([input])).rejects.toThrow(InvalidArgumentsError);
    await expect(job.enqueue([input])).rejects.toThrow(/args\[0\]\.user\.email cannot be read/);
    expect(manager.list().records).toEqual([]);
  });
});

describe('input the stores cannot hold', () => {
  it('is refused at enqueue with a typed error: times out of range, oversized arguments, timeouts setTimeout cannot hold', async () => {
    const manager = make({ maxArgsBytes: 1024 });
    expect(() => manager.define('long', async () => {}, { timeout: 2 ** 40 })).toThrow(InvalidOptionError);
    const job = manager.define('job', async (_ctx, _text: string) => {});
    await manager.start();
    await expect(job.enqueue(['x'], { runAt: 1e19 })).rejects.toThrow(InvalidOptionError);
    await expect(job.enqueue(['x'], { delay: 1e19 })).rejects.toThrow(InvalidOptionError);
    await expect(job.enqueue(['x'], { runAt: new Date(Number.NaN) })).rejects.toThrow(InvalidOptionError);
    await expect(job.enqueue(['é'.repeat(600)])).rejects.toThrow(/more than maxArgsBytes \(1024\)/);
    // Just under the limit is accepted (the bound is exact, not the cheap estimate).
    await expect(job.enqueue(['a'.repeat(1000)])).resolves.toEqual(expect.any(String));
  });
});

describe('one record the store refuses', () => {
  it('does not keep the others out: the batch is split, the refused one is stored slimmed', async () => {
    const { backend, inner, faults } = breakable();
    faults.refuse = (record) => record.logs.some((line) => line.message.includes('POISON'));
    const manager = make({ backend, snapshotInterval: 60_000 });
    const job = manager.define('job', async (ctx, n: number) => {
      if (n === 13) ctx.log(`POISON ${'x'.repeat(100)}`);
      return n;
    });
    await manager.start();
    const ids = await Promise.all(Array.from({ length: 40 }, (_, n) => job.enqueue([n])));
    await waitForIdle(manager, 5000);
    await waitFor(
      async () => (await Promise.all(ids.map((id) => inner.get(id)))).every((r) => r?.status === 'success'),
      5000,
      'every record stored',
    );
    const poisoned = await inner.get(ids[13]!);
    expect(poisoned).toMatchObject({ status: 'success', result: null });
    expect(poisoned!.logs).toEqual([
      expect.objectContaining({ message: expect.stringContaining('the store refused this record') }),
    ]);
    expect(manager.stats().backend?.healthy).toBe(true);
  });

  it('rejects only its own durable enqueue; the others of the same batch are stored', async () => {
    const { backend, inner, faults } = breakable();
    faults.refuse = (record) => record.args[0] === 'poison';
    const manager = make({ backend, durability: 'durable' });
    const job = manager.define('job', async (_ctx, _tag: string) => {});
    await manager.start();
    const results = await Promise.allSettled(['a', 'b', 'poison', 'c', 'd'].map((tag) => job.enqueue([tag])));
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    const refused = (results[2] as PromiseRejectedResult).reason as BackendError;
    expect(refused).toBeInstanceOf(BackendError);
    expect(refused.failure).toBe('refused');
    for (const result of results) {
      if (result.status === 'fulfilled') expect(await inner.get(result.value)).not.toBeNull();
    }
  });
});

describe('stop()', () => {
  it('keeps an attempt that fails during the grace period pending for the next start, with its retries', async () => {
    const { backend, inner } = breakable();
    const manager = make({ backend, snapshotInterval: 60_000 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const job = manager.define(
      'flaky',
      async () => {
        await gate;
        throw new Error('fails while stopping');
      },
      { retries: 5, retryDelay: 10 },
    );
    await manager.start();
    const id = await job.enqueue();
    await waitFor(() => manager.stats().running === 1, 2000, 'the attempt to start');
    const stopping = manager.stop({ timeout: 2000 });
    await sleep(50);
    release();
    await stopping;
    expect(await inner.get(id)).toMatchObject({
      status: 'pending',
      attempt: 1,
      maxAttempts: 6,
      error: 'fails while stopping',
    });
  });

  it('retries the final flush until its deadline and loses nothing when the store comes back', async () => {
    const { backend, inner, faults } = breakable();
    const manager = make({ backend, snapshotInterval: 60_000 });
    const job = manager.define('job', async () => 'ok');
    await manager.start();
    faults.down = true;
    const ids = await Promise.all(Array.from({ length: 20 }, () => job.enqueue()));
    await waitForIdle(manager, 5000);
    setTimeout(() => {
      faults.down = false;
    }, 1500);
    const unsaved: number[] = [];
    manager.on('unsaved', (info) => unsaved.push(info.count));
    await manager.stop({ timeout: 0 });
    expect(unsaved).toEqual([]);
    for (const id of ids) expect((await inner.get(id))?.status).toBe('success');
  });

  it('reports what it could not save by its deadline, with the ids, and returns in time', async () => {
    const { backend, faults } = breakable();
    const manager = make({ backend, snapshotInterval: 60_000 });
    const job = manager.define('job', async () => 'ok');
    await manager.start();
    faults.down = true;
    const ids = await Promise.all(Array.from({ length: 5 }, () => job.enqueue()));
    await waitForIdle(manager, 5000);
    const reports: Array<{ count: number; ids: string[] }> = [];
    manager.on('unsaved', (info) => reports.push(info));
    const started = performance.now();
    await manager.stop({ timeout: 200 });
    expect(performance.now() - started).toBeLessThan(200 + 4000 + 1000);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.count).toBe(5);
    expect(reports[0]!.ids.slice().sort()).toEqual(ids.slice().sort());
    expect(manager.stats().backend?.unsaved).toBe(5);
  });

  it('lets the process exit at once after cancelling a task delayed by a minute', async () => {
    const child = fork(fileURLToPath(new URL('./fixtures/cancel-delayed.mjs', import.meta.url)), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const counts = new Promise<{ before: number; after: number }>((resolve) =>
      child.once('message', resolve as never),
    );
    const started = performance.now();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(await counts).toEqual({ before: 1, after: 0 });
    expect(code).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('stopOnSignals()', () => {
  it('closes the server, lets the request in flight finish and its task run, then exits 0', async () => {
    const child = fork(fileURLToPath(new URL('./fixtures/signal-server.mjs', import.meta.url)), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const messages: Array<{ type: string; port?: number }> = [];
    child.on('message', (message: { type: string; port?: number }) => messages.push(message));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(() => messages.some((m) => m.type === 'listening'), 10_000, 'the server to listen');
    const port = messages.find((m) => m.type === 'listening')!.port!;
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, method: 'POST' }, (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
        .on('error', reject)
        .end();
    });
    await sleep(100);
    child.kill('SIGTERM');
    const { status, body } = await answer;
    expect(status).toBe(200);
    expect(body).toMatch(/^[0-9a-f-]{36}$/);
    expect(await exited).toBe(0);
    expect(messages.filter((m) => m.type === 'task-done')).toHaveLength(1);
  });
});

describe('credentials', () => {
  it('never appear in a BackendError, its message or its causes', () => {
    const cause = new Error('connect ECONNREFUSED for redis://:s3cret@cache:6379/0 (password=hunter2)', {
      cause: new AggregateError([new Error('postgres://app:pa55@db/x refused')], 'all failed'),
    });
    const error = new BackendError('redis', 'open', cause);
    const text = JSON.stringify({
      message: error.message,
      cause: String(error.cause),
      stack: (error.cause as Error).stack,
      inner: String(((error.cause as Error).cause as AggregateError).errors[0]),
    });
    expect(text).not.toMatch(/s3cret|hunter2|pa55/);
    expect(error.message).toContain('redis://:***@cache:6379/0');
  });

  it('are masked in what Node echoes (ERR_INVALID_URL keeps the URL in input) and with a raw @ or / in them', () => {
    let invalid: unknown;
    try {
      new URL('redis://:s3cr@t@host:port');
    } catch (error) {
      invalid = error;
    }
    const error = new BackendError('redis', 'open', invalid);
    const cause = error.cause as Error & { input?: string };
    expect(`${error.message} ${cause.message} ${cause.stack} ${cause.input}`).not.toMatch(/s3cr/);
    expect(cause.input).toBe('redis://:***@host:port');
    expect((cause as { code?: string }).code).toBe('ERR_INVALID_URL');
    expect(maskSecrets('connect to postgres://app:pa/ss@db:5432/x failed')).toBe(
      'connect to postgres://app:***@db:5432/x failed',
    );
  });
});
