import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendError, normalizeQuery, SchemaVersionError, TaskManager } from '@errand/core';
import { makeRecord } from '@errand/core/testing';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../src/index.js';

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
    expect(tables).toEqual(['jobs_instances', 'jobs_meta', 'jobs_tasks']);
    expect(db.prepare("SELECT value FROM jobs_meta WHERE key = 'schema_version'").pluck().get()).toBe('1');
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
