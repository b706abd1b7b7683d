import { spawn } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  currentTask,
  fileObserver,
  InvalidOptionError,
  MemoryBackend,
  memoryObserver,
  type Observer,
  pinoObserver,
  stdoutObserver,
  type TaskEvent,
  TaskManager,
  type TaskManagerOptions,
} from '../src/index.js';
import { sleep, waitFor, waitForIdle } from '../src/testing/index.js';

const managers: TaskManager[] = [];
const dirs: string[] = [];

function make(options: TaskManagerOptions<Record<never, never>> = {}): TaskManager {
  const manager = new TaskManager({ logger: false, ...options });
  managers.push(manager);
  return manager;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'errand-observe-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A lifecycle event as the file observer writes it. */
const LINE =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[(debug|info|warn|error)\] \[([0-9a-f-]{36})\] \[([^\]]+)\] (.*)$/;

describe('observers', () => {
  it('hear every lifecycle transition and every ctx.log line, with level, id, name, attempt, queue and tags', async () => {
    const recorder = memoryObserver();
    const manager = make({ observers: [recorder], queues: { mail: { concurrency: 1 } } });
    manager.define(
      'send',
      async (ctx, to: string) => {
        ctx.log(`trying ${to}`, { attempt: ctx.attempt });
        throw new Error('smtp down');
      },
      { retries: 1, retryDelay: 10, queue: 'mail' },
    );
    await manager.start();
    const id = await manager.enqueue('send', ['ada@example.com'], { tags: { user: '42' } });
    await waitForIdle(manager, 5000);
    const events = recorder.events.filter((event) => event.taskId === id);
    expect(events.map((event) => `${event.type}:${event.attempt}`)).toEqual([
      'enqueued:0',
      'started:1',
      'log:1',
      'retrying:1',
      'started:2',
      'log:2',
      'failed:2',
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ taskId: id, name: 'send', queue: 'mail', tags: { user: '42' } });
    }
    expect(events.find((e) => e.type === 'log')).toMatchObject({
      level: 'info',
      message: 'trying ada@example.com',
      fields: { attempt: 1 },
    });
    expect(events.find((e) => e.type === 'retrying')).toMatchObject({ level: 'warn', error: 'smtp down' });
    expect(events.at(-1)).toMatchObject({ level: 'error', status: 'failed', error: 'smtp down' });
  });

  it('keep one throwing observer from breaking the task or the other observers', async () => {
    const recorder = memoryObserver();
    const broken: Observer = {
      onEvent() {
        throw new Error('observer bug');
      },
    };
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => errors.push(message) };
    const manager = make({ observers: [broken, recorder], logger });
    manager.define('ok', async () => 1);
    await manager.start();
    const id = await manager.enqueue('ok', []);
    expect(await manager.result(id)).toBe(1);
    expect(recorder.events.map((e) => e.type)).toEqual(['enqueued', 'started', 'success']);
    expect(errors).toContain('an observer threw');
  });

  it('are checked at construction', () => {
    expect(() => make({ observers: [{} as Observer] })).toThrow(InvalidOptionError);
    expect(() => memoryObserver({ limit: 0 })).toThrow(InvalidOptionError);
    expect(() => stdoutObserver({ format: 'xml' as 'json' })).toThrow(InvalidOptionError);
    expect(() => fileObserver({ path: join(tempDir(), 'missing-dir', 'x.log') })).toThrow(/ENOENT/);
  });

  it('memoryObserver keeps only the last `limit` events', () => {
    const recorder = memoryObserver({ limit: 3 });
    for (let i = 0; i < 10; i++) recorder.onEvent({ message: String(i) } as TaskEvent);
    expect(recorder.events.map((e) => e.message)).toEqual(['7', '8', '9']);
  });

  it('stdoutObserver writes one JSON object per line', async () => {
    let text = '';
    const stream = { write: (chunk: string) => (text += chunk) };
    const manager = make({ observers: [stdoutObserver({ format: 'json', stream })] });
    manager.define('hello', async (ctx) => ctx.log('line one\nline two'));
    await manager.start();
    const id = await manager.enqueue('hello', []);
    await manager.result(id);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.type)).toEqual(['enqueued', 'started', 'log', 'success']);
    expect(lines[2]).toMatchObject({
      taskId: id,
      name: 'hello',
      level: 'info',
      message: 'line one\nline two',
    });
    expect(new Date(lines[2].time).toISOString()).toBe(lines[2].time);
  });

  it('pinoObserver logs through pino at the event level with the task as fields', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const manager = make({ observers: [pinoObserver(pino({ level: 'debug' }, sink))] });
    manager.define('fails', async (ctx) => {
      ctx.log('about to fail', { step: 3 });
      throw new Error('nope');
    });
    await manager.start();
    const id = await manager.enqueue('fails', [], { tags: { tenant: 'acme' } });
    await waitForIdle(manager, 5000);
    await waitFor(() => lines.length === 4, 2000, 'four pino lines');
    expect(lines.map((line) => [line.event, line.level])).toEqual([
      ['enqueued', 30],
      ['started', 30],
      ['log', 30],
      ['failed', 50],
    ]);
    expect(lines[2]).toMatchObject({ msg: 'about to fail', taskId: id, task: 'fails', fields: { step: 3 } });
    expect(lines[3]).toMatchObject({ error: 'nope', tags: { tenant: 'acme' } });
  });
});

describe('fileObserver', () => {
  it('writes `ISO time [level] [task id] [name] message`, one line per event, flushed by stop()', async () => {
    const path = join(tempDir(), 'tasks.log');
    const manager = make({ observers: [fileObserver({ path })] });
    manager.define('report', async (ctx, n: number) => {
      ctx.log('two\nlines', { n });
      return n;
    });
    await manager.start();
    const id = await manager.enqueue('report', [7]);
    await manager.result(id);
    await manager.stop();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(LINE);
    const [, , level, taskId, name, message] = LINE.exec(lines[2]!)!;
    expect([level, taskId, name, message]).toEqual(['info', id, 'report', 'two\\nlines {"n":7}']);
    expect(lines[3]).toMatch(/\[info\] \[[^\]]+\] \[report\] succeeded in \d+ ms$/);
  });

  it('rotates by size in place, keeping `keep` copies, without losing a line', async () => {
    const dir = tempDir();
    const path = join(dir, 'tasks.log');
    const observer = fileObserver({ path, maxBytes: 4096, keep: 50, tailGraceMs: 0 });
    const reader = openSync(path, 'r'); // what `tail -f` holds
    const inode = statSync(path).ino;
    const event = (i: number): TaskEvent => ({
      type: 'log',
      level: 'info',
      at: Date.now(),
      taskId: '01900000-0000-7000-8000-000000000000',
      name: 'bulk',
      attempt: 1,
      queue: 'default',
      tags: {},
      status: 'running',
      message: `line ${i} ${'x'.repeat(40)}`,
    });
    for (let i = 0; i < 1000; i++) {
      observer.onEvent(event(i));
      if (i % 100 === 99) await observer.flush();
    }
    await observer.close();
    const files = readdirSync(dir).filter((file) => file.startsWith('tasks.log'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(4096);
    // Oldest copy first, then newer ones, then the live file: every line once, in order.
    const ordered = files.sort((a, b) => Number(b.split('.')[2] ?? 0) - Number(a.split('.')[2] ?? 0));
    expect(ordered.at(-1)).toBe('tasks.log');
    const all = ordered.flatMap((file) => readFileSync(join(dir, file), 'utf8').trimEnd().split('\n'));
    expect(all.map((line) => Number(/line (\d+)/.exec(line)![1]))).toEqual([...Array(1000).keys()]);
    // Rotation truncates in place: the descriptor a follower holds is still the live file.
    expect(statSync(path).ino).toBe(inode);
    expect(fstatSync(reader).ino).toBe(inode);
    const live = readFileSync(path);
    const viaReader = Buffer.alloc(live.length);
    readSync(reader, viaReader, 0, live.length, 0);
    closeSync(reader);
    expect(viaReader.equals(live)).toBe(true);
  });

  it('drops the oldest copies beyond `keep`', async () => {
    const dir = tempDir();
    const path = join(dir, 'tasks.log');
    const observer = fileObserver({ path, maxBytes: 1024, keep: 2, tailGraceMs: 0 });
    for (let i = 0; i < 200; i++) {
      observer.onEvent({
        at: Date.now(),
        level: 'info',
        taskId: 't',
        name: 'n',
        message: `m${i}`,
      } as TaskEvent);
      await observer.flush();
    }
    await observer.close();
    expect(readdirSync(dir).sort()).toEqual(['tasks.log', 'tasks.log.1', 'tasks.log.2']);
  });

  it('is followed across rotations by a real `tail -f`', async () => {
    const path = join(tempDir(), 'tasks.log');
    const observer = fileObserver({ path, maxBytes: 2048, keep: 1 });
    const tail = spawn('tail', ['-f', '-n', '+1', '-s', '0.05', path]);
    let seen = '';
    tail.stdout.on('data', (chunk) => (seen += chunk));
    try {
      await sleep(300);
      for (let batch = 0; batch < 6; batch++) {
        for (let i = 0; i < 10; i++) {
          const n = batch * 10 + i;
          observer.onEvent({
            at: Date.now(),
            level: 'info',
            taskId: 't',
            name: 'n',
            message: `event-${n} ${'y'.repeat(60)}`,
          } as TaskEvent);
        }
        await observer.flush();
        await waitFor(() => seen.includes(`event-${batch * 10 + 9} `), 5000, `tail to print batch ${batch}`);
      }
      const numbers = [...seen.matchAll(/event-(\d+) /g)].map((match) => Number(match[1]));
      expect(numbers).toEqual([...Array(60).keys()]);
      expect(statSync(`${path}.1`).size).toBeGreaterThan(0); // it did rotate under tail
    } finally {
      tail.kill();
      await observer.close();
    }
  });
});

describe('currentTask()', () => {
  it('gives the running task context to code deep inside the task, and nothing outside', async () => {
    const seen: Array<[string | undefined, number | undefined]> = [];
    // A library function that was not handed ctx.
    const libraryLog = async () => {
      await sleep(5);
      await new Promise((resolve) => setImmediate(resolve));
      const task = currentTask();
      seen.push([task?.name, task?.attempt]);
      task?.log('from the library');
    };
    const manager = make({ backend: new MemoryBackend() });
    manager.define('outer', async () => {
      await Promise.all([libraryLog(), libraryLog()]);
    });
    await manager.start();
    expect(currentTask()).toBeUndefined();
    const id = await manager.enqueue('outer', []);
    await manager.result(id);
    expect(seen).toEqual([
      ['outer', 1],
      ['outer', 1],
    ]);
    expect((await manager.get(id))!.logs.map((line) => line.message)).toEqual([
      'from the library',
      'from the library',
    ]);
  });

  it('is undefined in tasks of a manager with taskContext: false', async () => {
    const manager = make({ taskContext: false });
    manager.define('plain', async () => currentTask()?.id ?? 'none');
    await manager.start();
    expect(await manager.result(await manager.enqueue('plain', []))).toBe('none');
  });
});
