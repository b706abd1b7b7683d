import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendError,
  InvalidOptionError,
  InvalidStateError,
  normalizeQuery,
  SchemaVersionError,
  type StoredJob,
  TaskManager,
  type TaskRecord,
} from '@errand/core';
import { makeRecord, waitForIdle } from '@errand/core/testing';
import { makeJob } from '@errand/scheduler/testing';
import {
  aggregateStatements,
  type FlowTables,
  JOB_COLUMNS,
  purgeStatement,
  sqliteDialect,
  TASK_COLUMNS,
} from '@errand/sql';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../src/index.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { taskValues } from '../src/row.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };
let dir: string;

/** What SQLite's planner does with `sql`, its steps joined by ` | `. */
function planOf(db: Database.Database, sql: string, values: unknown[] = []): string {
  const steps = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(values) as Array<{ detail: string }>;
  return steps.map((step) => step.detail).join(' | ');
}

/** Runs an ES module `script` in a new Node process; resolves to its output, rejects with its errors. */
function runScript(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
  });
}

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
    expect(tables).toEqual([
      'jobs_counters',
      'jobs_instances',
      'jobs_jobs',
      'jobs_locks',
      'jobs_meta',
      'jobs_queues',
      'jobs_semaphores',
      'jobs_tasks',
    ]);
    expect(db.prepare("SELECT value FROM jobs_meta WHERE key = 'schema_version'").pluck().get()).toBe('3');
    db.close();
  });

  it('answers status and name queries from an index', async () => {
    const path = join(dir, 'plan.db');
    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    const plan = (sql: string) => planOf(backend.database, sql);
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

  it('creates the missing folders of its path, as a fresh project has no ./data yet', async () => {
    const path = join(dir, 'data', 'nested', 'tasks.db');
    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    await backend.write([makeRecord()]);
    await backend.close();
    expect(await readdir(join(dir, 'data', 'nested'))).toContain('tasks.db');
  });

  it('opens an in-memory database without touching the file system', async () => {
    const backend = new SqliteBackend({ path: ':memory:' });
    await backend.open({ logger });
    await backend.write([makeRecord()]);
    expect((await backend.counts(normalizeQuery())).pending).toBe(1);
    await backend.close();
  });

  it('rejects a path it cannot open with a BackendError at start()', async () => {
    // A folder cannot be created below a regular file.
    await writeFile(join(dir, 'a-file'), '');
    const manager = new TaskManager({
      backend: new SqliteBackend({ path: join(dir, 'a-file', 'x.db') }),
      logger: false,
    });
    const error = await manager.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/sqlite backend: open failed/);
  });

  it('rejects bad options at construction', () => {
    expect(() => new SqliteBackend({} as never)).toThrow(InvalidOptionError);
    expect(() => new SqliteBackend({ path: 'a.db', tablePrefix: 'x; DROP TABLE' })).toThrow(
      InvalidOptionError,
    );
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

describe('SqliteBackend store calls', () => {
  it('rejects a whole batch with a BackendError "refused" when SQLite refuses one record, storing none of it', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'poison.db') });
    await backend.open({ logger });
    const good = makeRecord();
    const alsoGood = makeRecord({ idempotencyKey: 'k' });
    // better-sqlite3 binds at most SQLITE_LIMIT_LENGTH bytes (V8's longest string, 2^29 - 24):
    // 'é' is one byte in V8 and two in UTF-8, so this message is just too long to store.
    const poison = makeRecord({ status: 'failed', error: 'é'.repeat(2 ** 28) });
    const error = await backend.write([good, poison, alsoGood]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ failure: 'refused', operation: 'write' });
    expect(await backend.get(good.id)).toBeNull();
    expect(await backend.get(alsoGood.id)).toBeNull();
    // Split as core splits it, the rest of the batch stores.
    expect(await backend.write([good, alsoGood])).toEqual({ conflicts: [], fenced: [] });
    // A row the schema itself refuses is 'refused' too.
    const nameless = makeRecord({ name: null as never });
    await expect(backend.write([nameless])).rejects.toMatchObject({ failure: 'refused' });
    await backend.close();
  });

  /** An open backend on a new file, and another connection holding the file's write lock. */
  async function locked(options: { operationTimeout?: number; busyTimeout?: number }) {
    const path = join(dir, 'locked.db');
    const backend = new SqliteBackend({ path, ...options });
    await backend.open({ logger });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    return { backend, other };
  }

  it("gives up waiting for another connection's write lock within operationTimeout", async () => {
    const { backend, other } = await locked({ operationTimeout: 300 });
    const started = performance.now();
    const error = await backend.write([makeRecord()]).catch((e: unknown) => e);
    const ms = performance.now() - started;
    other.exec('ROLLBACK');
    other.close();
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ failure: 'unavailable', message: expect.stringMatching(/locked/) });
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(300 + 1500);
    await backend.close();
  });

  it('runs a call again once a lock it met is released', async () => {
    const { backend, other } = await locked({ busyTimeout: 50 });
    // The busy wait blocks the thread; the release runs between two attempts.
    setTimeout(() => other.exec('COMMIT'), 150);
    const record = makeRecord();
    const started = performance.now();
    expect(await backend.write([record])).toEqual({ conflicts: [], fenced: [] });
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(await backend.get(record.id)).toEqual(record);
    other.close();
    await backend.close();
  });

  it('closes within operationTimeout while a backup hangs', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'hung.db'), operationTimeout: 200 });
    await backend.open({ logger });
    backend.database.backup = () => new Promise(() => {});
    const hung = backend.backup({ dir: join(dir, 'backups') });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await backend.close();
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(performance.now() - started).toBeLessThan(200 + 1500);
    expect(() => backend.database).toThrow(InvalidStateError);
    void hung.catch(() => {});
  });

  it('bounds busyTimeout by operationTimeout', async () => {
    const busyTimeout = async (options: object) => {
      const backend = new SqliteBackend({ path: join(dir, 'timeouts.db'), ...options });
      await backend.open({ logger });
      const value = backend.database.pragma('busy_timeout', { simple: true });
      await backend.close();
      return value;
    };
    expect(await busyTimeout({})).toBe(5000);
    expect(await busyTimeout({ operationTimeout: 800 })).toBe(800);
    expect(await busyTimeout({ operationTimeout: 800, busyTimeout: 200 })).toBe(200);
    // An existing setup's busyTimeout alone keeps working: the call limit grows to it.
    expect(await busyTimeout({ busyTimeout: 10_000 })).toBe(10_000);
    expect(() => new SqliteBackend({ path: 'a.db', operationTimeout: 800, busyTimeout: 900 })).toThrow(
      InvalidOptionError,
    );
    expect(() => new SqliteBackend({ path: 'a.db', operationTimeout: 5 })).toThrow(InvalidOptionError);
    expect(() => new SqliteBackend({ path: 'a.db', busyTimeout: -1 })).toThrow(InvalidOptionError);
  });

  it('refuses a store URL as its path without repeating the password in it', async () => {
    const url = 'postgres://errand:hunter2@db.internal:5432/tasks';
    const error = (() => {
      try {
        return new SqliteBackend({ path: url });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain('not a URL');
    expect((error as Error).message).not.toContain('hunter2');
    expect(await readdir(process.cwd())).not.toContain('postgres:');
  });

  it('reads claim candidates in claim order from the covering partial index, however long the history', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'claim-plan.db') });
    await backend.open({ logger });
    const db = backend.database;
    await backend.heartbeat('me', 60_000, {});
    await backend.heartbeat('busy', 60_000, {});
    // 60,000 finished tasks of the claimed names, 3,000 waiting on a live instance, 1,000 unowned
    // ones due later: none of them may be taken, and only the index should be read to skip them.
    const t0 = Date.now() - 3_600_000;
    const insert = db.prepare(
      `INSERT INTO errand_tasks (${TASK_COLUMNS.join(', ')}) VALUES (${TASK_COLUMNS.map(() => '?').join(', ')})`,
    );
    const statuses = ['success', 'failed', 'interrupted', 'cancelled'] as const;
    db.transaction(() => {
      for (let i = 0; i < 60_000; i++) {
        const status = statuses[i % 4]!;
        const at = t0 + i;
        insert.run(taskValues(makeRecord({ name: 'a', status, createdAt: at, finishedAt: at, owner: 'x' })));
      }
      for (let i = 0; i < 3000; i++)
        insert.run(taskValues(makeRecord({ name: 'b', priority: 9, createdAt: t0 + i, owner: 'busy' })));
      for (let i = 0; i < 1000; i++)
        insert.run(
          taskValues(makeRecord({ name: 'a', priority: 9, owner: null, runAt: Date.now() + 60_000 })),
        );
    })();
    const claimable = [
      makeRecord({ name: 'a', owner: null, priority: 1, createdAt: t0 + 5 }),
      makeRecord({ name: 'b', owner: null, priority: 1, createdAt: t0 + 6 }),
      makeRecord({ name: 'a', owner: 'old', status: 'running', priority: 0, createdAt: t0 + 1 }),
      makeRecord({ name: 'b', owner: null, priority: 5, createdAt: t0 + 7 }),
      makeRecord({ name: 'a', owner: null, priority: 0, createdAt: t0 + 2 }),
      makeRecord({ name: 'a', owner: null, priority: 0, createdAt: t0 + 3 }),
    ];
    const paused = makeRecord({ name: 'a', owner: null, priority: 7, queue: 'paused' });
    await backend.write([...claimable, paused]);
    // Statistics of a long history, as `PRAGMA optimize` gives the planner.
    db.exec('ANALYZE');
    const prepare = db.prepare.bind(db);
    const prepared: string[] = [];
    db.prepare = ((sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    }) as typeof db.prepare;
    const request = { instanceId: 'me', names: ['a', 'b'], limit: 5, deadOwners: ['old'] };
    const claimed = await backend.claim({ ...request, excludeQueues: ['paused'] });
    db.prepare = prepare;
    expect(claimed.map((record) => record.id)).toEqual([3, 0, 1, 2, 4].map((i) => claimable[i]!.id));
    const claim = prepared.find((sql) => sql.startsWith('UPDATE errand_tasks'))!;
    const plan = planOf(
      db,
      claim,
      Array.from(claim.match(/\?/g)!, () => null),
    );
    expect(plan).toContain('SCAN t USING COVERING INDEX errand_tasks_unfinished');
    expect(plan).not.toContain('TEMP B-TREE');
    await backend.close();
  }, 60_000);

  it('answers aggregate() and purge() from the (status, finished_at) index', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'finished-plan.db') });
    await backend.open({ logger });
    const tables = { tasks: 'errand_tasks', instances: 'errand_instances' } as FlowTables;
    const window = { since: 0, until: 10, bucketMs: 5, durationSample: 10 };
    const { finished, durations } = aggregateStatements('errand_tasks', window, sqliteDialect);
    const purge = purgeStatement(
      tables,
      { status: 'success', finishedBefore: 5, queues: null, excludeQueues: ['keep'], limit: 100 },
      sqliteDialect,
    );
    for (const statement of [finished, durations, purge]) {
      const plan = planOf(backend.database, statement.sql, statement.values);
      expect(plan).toMatch(
        /SEARCH errand_tasks USING (COVERING )?INDEX errand_tasks_finished \(status=\? AND finished_at/,
      );
      expect(plan).not.toContain('TEMP B-TREE FOR ORDER BY');
    }
    await backend.close();
  });

  it('has a column for every field of the field tables, in both tables', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'columns.db') });
    await backend.open({ logger });
    const columns = (table: string) =>
      (
        backend.database.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[]
      ).sort();
    expect(columns('errand_tasks')).toEqual([...TASK_COLUMNS].sort());
    expect(columns('errand_jobs')).toEqual([...JOB_COLUMNS].sort());
    await backend.close();
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

  it('reports SQLite’s own page counts as it copies, ending with nothing left', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'progress.db') });
    await backend.open({ logger });
    await backend.write(Array.from({ length: 5000 }, (_, i) => makeRecord({ args: [i, 'x'.repeat(200)] })));
    const seen: { totalPages: number; remainingPages: number }[] = [];
    await backend.backup({ dir: join(dir, 'backups'), keep: 1, progress: (info) => seen.push({ ...info }) });
    await backend.close();
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[0]?.totalPages).toBeGreaterThan(100);
    const remaining = seen.map((info) => info.remainingPages);
    expect(remaining).toEqual([...remaining].sort((a, b) => b - a));
    expect(remaining.at(-1)).toBe(0);
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

/**
 * A file as release `version` of the schema left it, holding `rows` in its tasks: the columns of
 * that time (none of migration 3's) and tags as a list, as they were written then.
 */
function storeAsReleased(path: string, version: 1 | 2, rows: Array<{ record: TaskRecord; tags: string[] }>) {
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.exec(`CREATE TABLE errand_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
            INSERT INTO errand_meta VALUES ('schema_version', '${version}');`);
  for (const migration of MIGRATIONS.slice(0, version))
    for (const statement of migration.statements('errand_')) old.exec(statement);
  const added = ['cancel_requested', 'expires_at', 'headers'];
  const columns = TASK_COLUMNS.filter((column) => !added.includes(column));
  const insert = old.prepare(
    `INSERT INTO errand_tasks (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  );
  for (const { record, tags } of rows) {
    const values = new Map(TASK_COLUMNS.map((column, i) => [column, taskValues(record)[i]]));
    values.set('tags', JSON.stringify(tags));
    insert.run(columns.map((column) => values.get(column)));
  }
  old.close();
}

describe('SqliteBackend.schedules', () => {
  it('migrates a version-1 file to the newest schema on open and keeps its tasks', async () => {
    const path = join(dir, 'v1.db');
    const records = [makeRecord({ args: ['a'] }), makeRecord({ idempotencyKey: 'k', tags: { t: '' } })];
    // The file as the first release left it: migration 1 only, tags as a list.
    storeAsReleased(path, 1, [
      { record: records[0]!, tags: [] },
      { record: records[1]!, tags: ['t'] },
    ]);

    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    const db = backend.database;
    expect(db.prepare("SELECT value FROM errand_meta WHERE key = 'schema_version'").pluck().get()).toBe(
      String(MIGRATIONS.length),
    );
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

  it("migrates the previous release's store (version 2) to version 3: its rows read and claim as before", async () => {
    const path = join(dir, 'v2.db');
    const t0 = Date.now() - 60_000;
    const tagged = makeRecord({ owner: null, createdAt: t0, tags: { urgent: '', eu: '' } });
    const orphan = makeRecord({ owner: 'gone', status: 'running', priority: 3, createdAt: t0 + 1 });
    const kept = makeRecord({ status: 'interrupted', createdAt: t0 + 2, finishedAt: t0 + 9, owner: 'gone' });
    const done = makeRecord({
      status: 'success',
      idempotencyKey: 'k',
      createdAt: t0 + 3,
      finishedAt: t0 + 5,
    });
    storeAsReleased(path, 2, [
      { record: tagged, tags: ['urgent', 'eu'] },
      { record: orphan, tags: [] },
      { record: kept, tags: [] },
      { record: done, tags: [] },
    ]);
    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    const db = backend.database;
    expect(db.prepare("SELECT value FROM errand_meta WHERE key = 'schema_version'").pluck().get()).toBe('3');
    // New fields read as their defaults; a tag list became keys with empty values, in the store too.
    for (const record of [tagged, orphan, kept, done]) expect(await backend.get(record.id)).toEqual(record);
    expect((await backend.query(normalizeQuery({ tags: { urgent: '' } }))).map((r) => r.id)).toEqual([
      tagged.id,
    ]);
    expect((await backend.write([makeRecord({ idempotencyKey: 'k' })])).conflicts).toHaveLength(1);
    // The rebuilt claim index holds only claimable rows, in claim order.
    expect(
      db
        .prepare(
          "SELECT count(*) FROM errand_tasks INDEXED BY errand_tasks_unfinished WHERE (status IN ('pending', 'running') OR (status = 'interrupted' AND requeue_on_interrupt = 1))",
        )
        .pluck()
        .get(),
    ).toBe(2);
    await backend.heartbeat('me', 60_000, {});
    const claimed = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 10 });
    expect(claimed.map((record) => [record.id, record.status])).toEqual([
      [orphan.id, 'interrupted'],
      [tagged.id, 'pending'],
    ]);
    expect(
      await backend.aggregate({ since: t0, until: t0 + 10, bucketMs: 60_000, durationSample: 5 }),
    ).toMatchObject({
      finished: [
        { status: 'interrupted', count: 1 },
        { status: 'success', count: 1 },
      ],
    });
    expect(await backend.cancel(tagged.id)).toBe('requested');
    await backend.close();
  });

  it('answers due() from the partial index on next_run_at', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'due.db') });
    await backend.open({ logger });
    const plan = planOf(
      backend.database,
      `SELECT * FROM errand_jobs
       WHERE next_run_at <= 5 AND paused = 0 AND orphaned = 0 ORDER BY next_run_at, id LIMIT 10`,
    );
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
        const task = { id, name: 'cleanup.run', queue: 'default', priority: 0, tags: { tick: String(job.nextRunAt) },
          args: [job.nextRunAt], status: 'pending', attempt: 0, maxAttempts: 1, createdAt: Date.now(),
          startedAt: null, finishedAt: null, duration: null, runAt: 0, expiresAt: null, error: null, stack: null,
          logs: [], progress: null, result: null, idempotencyKey: null, owner: null, requeueOnInterrupt: false,
          cancelRequested: false, headers: {} };
        const claimed = await backend.schedules.claimTick({ jobId: 'cleanup', expectedNextRunAt: job.nextRunAt,
              nextRunAt: job.nextRunAt + 1, activeRuns: [], lastRunAt: job.nextRunAt, lastOutcome: null,
              tasks: [task] });
        if (claimed.won) won++;
      }
      await backend.close();
      console.log(won);
    `;
    const run = async () => Number(await runScript(script));
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

describe('SqliteBackend: the fleet and flow control', () => {
  it('keeps token buckets, semaphores and leases exact while processes race for them', async () => {
    const path = join(dir, 'flow.db');
    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    const start = Date.now() + 1500;
    // Each process takes tokens one at a time from a bucket of 1,000 that does not refill within
    // the test, asks a semaphore of 50 for one unit at a time, and tries a lease: a lost update
    // between the read and the write of any of them would hand out more than there is.
    const script = `
      const { SqliteBackend } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      const backend = new SqliteBackend({ path: ${JSON.stringify(path)} });
      await backend.open();
      const me = 'p' + process.pid;
      await backend.heartbeat(me, 600000, {});
      await new Promise((resolve) => setTimeout(resolve, ${start} - Date.now()));
      let tokens = 0, units = 0, leases = 0;
      for (let i = 0; i < 600; i++) {
        tokens += await backend.takeTokens('q:api', 1, { max: 1000, perMs: 1e12 });
        units += await backend.acquire('q:reports', me, 1, 50);
        if (await backend.tryLock('retention', me, 600000)) leases++;
      }
      await backend.close();
      console.log(JSON.stringify({ tokens, units, leases }));
    `;
    const run = async () =>
      JSON.parse(await runScript(script)) as Record<'tokens' | 'units' | 'leases', number>;
    const results = await Promise.all([run(), run(), run()]);
    const total = (key: 'tokens' | 'units') => results.reduce((sum, result) => sum + result[key], 0);
    expect(total('tokens')).toBe(1000);
    expect(total('units')).toBe(50);
    // One process holds the lease (renewing it at each turn); the others never get it.
    expect(results.map((result) => result.leases).sort()).toEqual([0, 0, 600]);
    await backend.close();
  }, 60_000);

  it('reads more ids at once than SQLite binds in one statement', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'many.db') });
    await backend.open({ logger });
    const records = Array.from({ length: 3 }, () => makeRecord());
    await backend.write(records);
    const unknown = Array.from(
      { length: 40_000 },
      (_, i) => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    );
    const found = await backend.getMany([...unknown, ...records.map((record) => record.id)]);
    expect(found.map((record) => record.id).sort()).toEqual(records.map((record) => record.id).sort());
    await backend.close();
  });
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
