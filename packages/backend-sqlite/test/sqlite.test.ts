import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendError, normalizeQuery, SchemaVersionError, type StoredJob, TaskManager } from '@errand/core';
import { makeJob, makeRecord, waitForIdle } from '@errand/core/testing';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../src/index.js';
import { MIGRATIONS } from '../src/migrations.js';
import { TASK_COLUMNS, toParams } from '../src/row.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'errand-sqlite-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteBackend', () => {
  it('creates its tables on first open, in WAL mode, under the chosen prefix', async () => {
    const path = join(dir, 'app.db');
    const backend = new SqliteBackend({ path, tablePrefix: 'jobs_' });
    await backend.open({ logger });
    await backend.close();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(['jobs_instances', 'jobs_jobs', 'jobs_meta', 'jobs_tasks']);
    expect(db.prepare("SELECT value FROM jobs_meta WHERE key = 'schema_version'").pluck().get()).toBe('2');
    db.close();
  });

  it('answers status and name queries from an index', async () => {
    const path = join(dir, 'plan.db');
    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    const plan = (sql: string) =>
      backend.database
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all()
        .map((row) => (row as { detail: string }).detail)
        .join(' | ');
    expect(
      plan("SELECT * FROM errand_tasks WHERE status = 'failed' ORDER BY created_at DESC, id DESC LIMIT 50"),
    ).toContain('USING INDEX errand_tasks_status');
    expect(
      plan("SELECT * FROM errand_tasks WHERE name = 'a' ORDER BY created_at DESC, id DESC LIMIT 50"),
    ).toContain('USING INDEX errand_tasks_name');
    await backend.close();
  });

  it('leaves a database it was given open', async () => {
    const db = new Database(join(dir, 'owned.db'));
    const backend = new SqliteBackend({ database: db });
    await backend.open({ logger });
    await backend.write([makeRecord()]);
    await backend.close();
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT count(*) FROM errand_tasks').pluck().get()).toBe(1);
    db.close();
  });

  it('refuses a database migrated by a newer version', async () => {
    const path = join(dir, 'newer.db');
    const db = new Database(path);
    db.exec(
      "CREATE TABLE errand_meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO errand_meta VALUES ('schema_version', '99')",
    );
    db.close();
    const error = await new SqliteBackend({ path }).open({ logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect((error as Error).message).toContain('schema version 99');
  });

  it('rejects a path it cannot open with a BackendError at start()', async () => {
    const manager = new TaskManager({
      backend: new SqliteBackend({ path: join(dir, 'missing-folder', 'x.db') }),
      logger: false,
    });
    const error = await manager.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/sqlite backend: open failed/);
  });

  it('rejects bad options at construction', () => {
    expect(() => new SqliteBackend({} as never)).toThrow(TypeError);
    expect(() => new SqliteBackend({ path: 'a.db', tablePrefix: 'x; DROP TABLE' })).toThrow(TypeError);
  });

  it('opens safely when two processes create the schema at once', async () => {
    const path = join(dir, 'race.db');
    const backends = Array.from({ length: 4 }, () => new SqliteBackend({ path }));
    await Promise.all(backends.map((backend) => backend.open({ logger })));
    await backends[0]!.write([makeRecord()]);
    expect((await backends[3]!.counts(normalizeQuery())).pending).toBe(1);
    await Promise.all(backends.map((backend) => backend.close()));
  });
});

describe('SqliteBackend.backup()', () => {
  it('copies the live database while it is written to, checks the copy and keeps every earlier row', async () => {
    const path = join(dir, 'live.db');
    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    const before = Array.from({ length: 5000 }, (_, i) => makeRecord({ args: [i, 'x'.repeat(200)] }));
    await backend.write(before);
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await backend.write(Array.from({ length: 50 }, () => makeRecord()));
        written += 50;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const result = await backend.backup({ dir: join(dir, 'backups'), keep: 3 });
    writing = false;
    await writer;
    expect(written).toBeGreaterThan(0);
    expect(result.path).toMatch(/live-\d{8}T\d{6}\.\d{3}Z\.db$/);
    expect(result.bytes).toBeGreaterThan(0);
    const copy = new Database(result.path, { readonly: true });
    expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
    const ids = new Set(copy.prepare('SELECT id FROM errand_tasks').pluck().all() as string[]);
    for (const record of before) expect(ids.has(record.id)).toBe(true);
    copy.close();
    await backend.close();
  });

  it('keeps the newest `keep` backups and deletes only after a good one', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'rot.db') });
    await backend.open({ logger });
    await backend.write([makeRecord()]);
    const target = join(dir, 'backups');
    const made: string[] = [];
    for (let i = 0; i < 9; i++) made.push((await backend.backup({ dir: target, keep: 7 })).path);
    const files = (await readdir(target)).sort();
    expect(files).toHaveLength(7);
    expect(files.map((file) => join(target, file))).toEqual(made.slice(2).sort());

    // A failed backup (the target is not writable as a folder) leaves the old files alone.
    await expect(backend.backup({ dir: join(target, files[0]!), keep: 1 })).rejects.toThrow();
    expect(await readdir(target)).toHaveLength(7);
    await backend.close();
  });

  it('never runs two backups at once', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'lock.db') });
    await backend.open({ logger });
    await backend.write(Array.from({ length: 2000 }, () => makeRecord({ args: ['y'.repeat(500)] })));
    const target = join(dir, 'backups');
    const first = backend.backup({ dir: target });
    await expect(backend.backup({ dir: target })).rejects.toThrow(/already running/);
    await first;
    // Another process's backup into the same folder is kept out by the lock file.
    await mkdir(target, { recursive: true });
    await writeFile(join(target, '.lock.backup.lock'), '');
    await expect(backend.backup({ dir: target })).rejects.toThrow(/another backup/);
    await backend.close();
  });
});

function job(overrides: Partial<StoredJob> = {}): StoredJob {
  return makeJob({
    id: 'cleanup',
    taskName: 'cleanup.run',
    trigger: { kind: 'every', intervalMs: 1000, anchor: 0 },
    definitionHash: 'h1',
    options: {},
    nextRunAt: 1000,
    updatedAt: 1,
    ...overrides,
  });
}

describe('SqliteBackend.schedules', () => {
  it('migrates a version-1 file to version 2 on open and keeps its tasks', async () => {
    const path = join(dir, 'v1.db');
    const records = [makeRecord({ args: ['a'] }), makeRecord({ idempotencyKey: 'k', tags: ['t'] })];
    // The file as the previous release left it: migration 1 only.
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(`CREATE TABLE errand_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
              INSERT INTO errand_meta VALUES ('schema_version', '1');`);
    old.exec(MIGRATIONS.find((migration) => migration.version === 1)!.sql('errand_'));
    const insert = old.prepare(
      `INSERT INTO errand_tasks (${TASK_COLUMNS.join(', ')}) VALUES (${TASK_COLUMNS.map(() => '?').join(', ')})`,
    );
    for (const record of records) insert.run(toParams(record));
    old.close();

    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    const db = backend.database;
    expect(db.prepare("SELECT value FROM errand_meta WHERE key = 'schema_version'").pluck().get()).toBe('2');
    for (const record of records) expect(await backend.get(record.id)).toEqual(record);
    expect((await backend.counts(normalizeQuery())).pending).toBe(2);
    // The key is still held after the migration.
    const clash = makeRecord({ idempotencyKey: 'k' });
    expect((await backend.write([clash])).conflicts).toEqual([{ id: clash.id, existingId: records[1]!.id }]);
    expect(await backend.schedules.register(job())).toEqual(job());
    await backend.close();

    // Opening again does not migrate twice.
    const again = new SqliteBackend({ path });
    await again.open({ logger });
    expect(await again.schedules.list()).toEqual([job()]);
    await again.close();
  });

  it('answers due() from the partial index on next_run_at', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'due.db') });
    await backend.open({ logger });
    const plan = backend.database
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM errand_jobs
         WHERE next_run_at <= 5 AND paused = 0 AND orphaned = 0 ORDER BY next_run_at, id LIMIT 10`,
      )
      .all()
      .map((row) => (row as { detail: string }).detail)
      .join(' | ');
    expect(plan).toContain('USING INDEX errand_jobs_due');
    expect(plan).not.toContain('TEMP B-TREE');
    await backend.close();
  });

  it('rejects calls before open() with a clear error', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'closed.db') });
    expect(backend.schedules).toBeDefined();
    await expect(backend.schedules.list()).rejects.toThrow(/not open/);
  });

  it('rolls the compare-and-set back when storing the tick tasks fails', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'rollback.db') });
    await backend.open({ logger });
    await backend.schedules.register(job({ nextRunAt: 1000 }));
    const good = makeRecord();
    const bad = makeRecord({ args: [10n] }); // JSON.stringify throws inside the write
    await expect(
      backend.schedules.claimTick({
        jobId: 'cleanup',
        expectedNextRunAt: 1000,
        nextRunAt: 2000,
        activeRuns: [good.id],
        lastRunAt: 1000,
        lastOutcome: null,
        tasks: [good, bad],
      }),
    ).rejects.toThrow();
    expect(await backend.get(good.id)).toBeNull();
    expect(await backend.schedules.get('cleanup')).toMatchObject({ nextRunAt: 1000, activeRuns: [] });
    await backend.close();
  });

  it('lets exactly one of several processes claim each tick', async () => {
    const path = join(dir, 'procs.db');
    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    const ticks = 300;
    await backend.schedules.register(job({ nextRunAt: 0 }));
    const start = Date.now() + 1500;
    // Each process claims whatever tick is due until the last one is taken; they start
    // together after a barrier, so the claims really race (typically each wins about a third).
    const script = `
      const { SqliteBackend } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      const backend = new SqliteBackend({ path: ${JSON.stringify(path)} });
      await backend.open();
      await new Promise((resolve) => setTimeout(resolve, ${start} - Date.now()));
      let won = 0;
      for (;;) {
        const job = await backend.schedules.get('cleanup');
        if (job.nextRunAt >= ${ticks}) break;
        const id = process.pid + '-' + job.nextRunAt;
        const task = { id, name: 'cleanup.run', queue: 'default', priority: 0, tags: ['tick:' + job.nextRunAt],
          args: [job.nextRunAt], status: 'pending', attempt: 0, maxAttempts: 1, createdAt: Date.now(),
          startedAt: null, finishedAt: null, duration: null, runAt: 0, error: null, stack: null, logs: [],
          progress: null, result: null, idempotencyKey: null, owner: null, requeueOnInterrupt: false };
        if (await backend.schedules.claimTick({ jobId: 'cleanup', expectedNextRunAt: job.nextRunAt,
              nextRunAt: job.nextRunAt + 1, activeRuns: [], lastRunAt: job.nextRunAt, lastOutcome: null,
              tasks: [task] })) won++;
      }
      await backend.close();
      console.log(won);
    `;
    const run = () =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.stderr.on('data', (chunk) => (err += chunk));
        child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(err))));
      });
    const wins = await Promise.all([run(), run(), run()]);
    expect(wins.reduce((a, b) => a + b, 0)).toBe(ticks);
    const stored = backend.database
      .prepare("SELECT json_extract(args, '$[0]') AS tick, count(*) AS n FROM errand_tasks GROUP BY tick")
      .all() as Array<{ tick: number; n: number }>;
    expect(stored).toHaveLength(ticks);
    expect(stored.every((row) => row.n === 1)).toBe(true);
    expect((await backend.schedules.get('cleanup'))?.nextRunAt).toBe(ticks);
    await backend.close();
  }, 60_000);
});

describe('the database_backup job', () => {
  it('runs the backup at 02:00 UTC through the scheduler, with its result and logs in history', async () => {
    const { Scheduler } = await import('@errand/scheduler');
    const backend = new SqliteBackend({ path: join(dir, 'app.db') });
    const manager = new TaskManager({ backend, logger: false });
    let clock = Date.UTC(2026, 10, 23, 0, 0);
    const scheduler = new Scheduler(manager, { fire: false, now: () => clock });
    const job = backend.backupJob({ dir: join(dir, 'backups'), keep: 2 });
    scheduler.add(job);
    await manager.start();
    try {
      const [listed] = await scheduler.list();
      expect(listed).toMatchObject({
        id: 'database_backup',
        schedule: 'Daily at 2:00 AM UTC',
        nextRunIn: 'in 2h',
      });
      for (let day = 0; day < 3; day++) {
        clock = Date.UTC(2026, 10, 23 + day, 2, 0, 1);
        await scheduler.tick();
        await waitForIdle(manager, 10_000, 50);
      }
      expect(await readdir(join(dir, 'backups'))).toHaveLength(2);
      const runs = await manager.query({ name: 'database_backup' });
      expect(runs.records.map((record) => record.status)).toEqual(['success', 'success', 'success']);
      const newest = runs.records[0]!;
      expect(newest.logs.map((line) => line.message)).toEqual(['backup started', 'backup written']);
      expect(newest.result).toMatchObject({ path: expect.stringMatching(/app-\d{8}T/) });
      expect((await scheduler.list())[0]).toMatchObject({ lastOutcome: 'success' });
    } finally {
      await manager.stop();
    }
  });

  it('records a failed backup as a failed run and leaves the old files alone', async () => {
    const { Scheduler } = await import('@errand/scheduler');
    const backend = new SqliteBackend({ path: join(dir, 'app.db') });
    const manager = new TaskManager({ backend, logger: false });
    let clock = Date.UTC(2026, 10, 23, 0, 0);
    const scheduler = new Scheduler(manager, { fire: false, now: () => clock });
    const target = join(dir, 'backups');
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'app-20261101T020000.000Z.db'), 'an older backup');
    // A lock file left by a backup that is still running: this one must fail, not run alongside.
    await writeFile(join(target, '.app.backup.lock'), '');
    scheduler.add({
      ...backend.backupJob({ dir: target, keep: 1 }),
      taskOptions: { retries: 0, retryDelay: 0 },
    });
    await manager.start();
    try {
      clock = Date.UTC(2026, 10, 23, 2, 0, 1);
      await scheduler.tick();
      await waitForIdle(manager, 10_000, 50);
      const [run] = (await manager.query({ name: 'database_backup' })).records;
      expect(run).toMatchObject({ status: 'failed' });
      expect(run?.error).toMatch(/another backup .* is running/);
      expect((await readdir(target)).sort()).toEqual(['.app.backup.lock', 'app-20261101T020000.000Z.db']);
      expect((await scheduler.list())[0]).toMatchObject({ lastOutcome: 'failed' });
    } finally {
      await manager.stop();
    }
  });
});
