import { randomBytes } from 'node:crypto';
import {
  BackendError,
  InvalidOptionError,
  InvalidStateError,
  normalizeQuery,
  SchemaVersionError,
  TaskManager,
  type TaskRecord,
} from '@errand/core';
import { makeJob, makeRecord, requireService, sleep, waitFor } from '@errand/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresBackend, SCHEMA_VERSION } from '../src/index.js';
import { initialSchema } from '../src/migrations/001-initial.js';
import { encodeRecords } from '../src/row.js';
import { claimStatement } from '../src/sql/claim.js';
import { dueStatement } from '../src/sql/schedules.js';
import { writeStatement } from '../src/sql/write.js';
import { tableNames } from '../src/tables.js';
import {
  adminQuery,
  dropSchema,
  POSTGRES_URL,
  probe,
  randomSchema,
  START_COMMAND,
  silentLogger,
} from './helpers.js';

const available = await requireService('postgres', probe, START_COMMAND);

/** A URL of the test server with another user, password or database. */
function urlWith(change: (url: URL) => void): string {
  const url = new URL(POSTGRES_URL);
  change(url);
  return url.toString();
}

function appName(): string {
  return `errand-test-${randomBytes(4).toString('hex')}`;
}

/** Kills every server connection opened under `applicationName` (only this test's). */
async function terminate(applicationName: string): Promise<number> {
  const result = await adminQuery<{ pid: number }>(
    `SELECT pg_terminate_backend(pid) AS killed, pid FROM pg_stat_activity
     WHERE application_name = $1 AND pid <> pg_backend_pid()`,
    [applicationName],
  );
  return result.rowCount ?? 0;
}

/** Counts round trips: every `client.query` of every connection the pool opens. */
function countingPool(config: pg.PoolConfig): { pool: pg.Pool; count: () => number } {
  const pool = new pg.Pool(config);
  let count = 0;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      count++;
      return query(...args);
    };
  });
  return { pool, count: () => count };
}

describe.skipIf(!available)('postgres backend', () => {
  const schemas: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];

  function schema(): string {
    const name = randomSchema();
    schemas.push(name);
    return name;
  }

  async function opened(backend: PostgresBackend): Promise<PostgresBackend> {
    await backend.open({ logger: silentLogger });
    cleanups.push(() => backend.close());
    return backend;
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    for (const name of schemas.splice(0)) await dropSchema(name);
  });

  describe('open()', () => {
    it('rejects a database that does not exist with a clear BackendError', async () => {
      const backend = new PostgresBackend(urlWith((url) => (url.pathname = '/errand_no_such_database')));
      const error = await backend.open({ logger: silentLogger }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BackendError);
      expect(error).toMatchObject({ code: 'ERR_BACKEND', backend: 'postgres', operation: 'open' });
      expect((error as Error).message).toMatch(
        /postgres backend: open failed: .*errand_no_such_database.*does not exist/,
      );
    });

    it('rejects an unknown user without printing the password', async () => {
      const url = urlWith((u) => {
        u.username = 'errand_no_such_user';
        u.password = 'hunter2-secret';
      });
      const error = (await new PostgresBackend(url)
        .open({ logger: silentLogger })
        .catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(BackendError);
      expect(error.message).toMatch(/errand_no_such_user/);
      expect(error.message).not.toContain('hunter2-secret');
      expect(JSON.stringify(error)).not.toContain('hunter2-secret');
    });

    it('rejects a closed port, by address and by host name', async () => {
      for (const host of ['127.0.0.1', 'localhost']) {
        const url = urlWith((u) => {
          u.hostname = host;
          u.port = '1';
        });
        const error = (await new PostgresBackend(url)
          .open({ logger: silentLogger })
          .catch((e: unknown) => e)) as Error;
        expect(error).toBeInstanceOf(BackendError);
        expect(error.message).toMatch(/ECONNREFUSED/);
      }
    });

    it('checks its options when constructed', () => {
      expect(() => new PostgresBackend(POSTGRES_URL, { schema: 'bad"name' })).toThrow(InvalidOptionError);
      expect(() => new PostgresBackend(POSTGRES_URL, { tablePrefix: 'x; DROP' })).toThrow(InvalidOptionError);
      expect(() => new PostgresBackend('')).toThrow(InvalidOptionError);
      expect(() => new PostgresBackend({ pool: {} as pg.Pool })).toThrow(InvalidOptionError);
    });

    it('creates its tables with the prefix in the schema', async () => {
      const name = schema();
      await opened(new PostgresBackend(POSTGRES_URL, { schema: name, tablePrefix: 'jobs_' }));
      const tables = await adminQuery<{ tablename: string }>(
        'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
        [name],
      );
      expect(tables.rows.map((row) => row.tablename)).toEqual([
        'jobs_instances',
        'jobs_jobs',
        'jobs_meta',
        'jobs_tasks',
      ]);
    });

    it('migrates once when several instances open a fresh schema at the same time', async () => {
      const name = schema();
      const backends = Array.from(
        { length: 4 },
        () => new PostgresBackend({ connectionString: POSTGRES_URL, max: 2 }, { schema: name }),
      );
      await Promise.all(backends.map((backend) => opened(backend)));
      const meta = await adminQuery<{ key: string; value: string; xmin: string }>(
        `SELECT key, value, xmin::text FROM "${name}".errand_meta`,
      );
      expect(meta.rows.map(({ key, value }) => ({ key, value }))).toEqual([
        { key: 'schema_version', value: String(SCHEMA_VERSION) },
      ]);
      // Written once: by the same transaction that created the tables, never rewritten.
      const created = await adminQuery<{ xmin: string }>(
        `SELECT xmin::text FROM pg_class WHERE oid = to_regclass($1)`,
        [`"${name}".errand_tasks`],
      );
      expect(meta.rows[0]!.xmin).toBe(created.rows[0]!.xmin);
      // Every one of them works on the same tables.
      const record = makeRecord();
      await backends[0]!.write([record]);
      for (const backend of backends) expect(await backend.get(record.id)).toEqual(record);
    });

    it('migrates a version-1 store to version 2 on open, keeping its tasks and keys', async () => {
      const name = schema();
      const t = tableNames(name, 'errand_');
      // A store exactly as version 1 of this package left it, holding a task with a key.
      const record = makeRecord({ idempotencyKey: 'from-v1' });
      await adminQuery(`CREATE SCHEMA "${name}"`);
      await adminQuery(`CREATE TABLE ${t.meta} (key text PRIMARY KEY, value text NOT NULL)`);
      await adminQuery(initialSchema(t));
      await adminQuery(`INSERT INTO ${t.meta} (key, value) VALUES ('schema_version', '1')`);
      await adminQuery(writeStatement(t), [encodeRecords([record]), '[]']);
      expect(SCHEMA_VERSION).toBe(2);

      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: name }));
      const meta = await adminQuery<{ value: string }>(
        `SELECT value FROM ${t.meta} WHERE key = 'schema_version'`,
      );
      expect(meta.rows).toEqual([{ value: '2' }]);
      expect(await backend.get(record.id)).toEqual(record);
      // The key is still held, and the new jobs table works.
      const rival = makeRecord({ idempotencyKey: 'from-v1' });
      expect(await backend.write([rival])).toEqual({ conflicts: [{ id: rival.id, existingId: record.id }] });
      const job = makeJob();
      expect(await backend.schedules.register(job)).toEqual(job);
      // A second open finds version 2 and changes nothing.
      await opened(new PostgresBackend(POSTGRES_URL, { schema: name }));
      expect(await backend.schedules.list()).toEqual([job]);
    });

    it('refuses a store written by a newer schema version', async () => {
      const name = schema();
      await opened(new PostgresBackend(POSTGRES_URL, { schema: name }));
      await adminQuery(`UPDATE "${name}".errand_meta SET value = $1 WHERE key = 'schema_version'`, [
        String(SCHEMA_VERSION + 1),
      ]);
      const error = await new PostgresBackend(POSTGRES_URL, { schema: name })
        .open({ logger: silentLogger })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect((error as Error).message).toContain(`version ${SCHEMA_VERSION + 1}`);
    });

    it('rejects calls before open() and after close()', async () => {
      const backend = new PostgresBackend(POSTGRES_URL, { schema: schema() });
      await expect(backend.get('x')).rejects.toBeInstanceOf(InvalidStateError);
      await backend.open({ logger: silentLogger });
      await backend.close();
      await expect(backend.now()).rejects.toBeInstanceOf(InvalidStateError);
      await backend.close();
    });
  });

  describe('an existing pool', () => {
    it('is used, shared between schemas, and never ended by close()', async () => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 3 });
      cleanups.push(() => pool.end());
      const a = await opened(new PostgresBackend({ pool }, { schema: schema() }));
      const b = await opened(new PostgresBackend({ pool }, { schema: schema() }));
      const inA = makeRecord({ owner: 'gone' });
      const inB = makeRecord({ owner: 'gone' });
      // Same statements, different schemas: their prepared-statement names must differ.
      await a.write([inA]);
      await b.write([inB]);
      expect(await a.get(inB.id)).toBeNull();
      expect(await b.get(inA.id)).toBeNull();
      expect((await a.claim({ instanceId: 'me', names: [inA.name], limit: 10 })).map((r) => r.id)).toEqual([
        inA.id,
      ]);
      expect((await b.claim({ instanceId: 'me', names: [inB.name], limit: 10 })).map((r) => r.id)).toEqual([
        inB.id,
      ]);
      await a.close();
      await b.close();
      expect(pool.ended).toBe(false);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      // And it can be opened again on the same pool.
      await a.open({ logger: silentLogger });
      expect((await a.get(inA.id))?.owner).toBe('me');
    });
  });

  describe('write()', () => {
    it('uses one round trip for 5,000 records, with or without idempotency keys', async () => {
      const { pool, count } = countingPool({ connectionString: POSTGRES_URL, max: 2 });
      cleanups.push(() => pool.end());
      const backend = await opened(new PostgresBackend({ pool }, { schema: schema() }));
      const base = Date.now();
      const plain = Array.from({ length: 5000 }, (_, i) =>
        makeRecord({ createdAt: base + i, status: 'success' }),
      );
      let before = count();
      await backend.write(plain);
      expect(count() - before).toBe(1);

      // Updates of the same rows cost the same.
      before = count();
      await backend.write(plain.map((record) => ({ ...record, attempt: 2 })));
      expect(count() - before).toBe(1);

      const keyed = Array.from({ length: 5000 }, (_, i) =>
        makeRecord({ createdAt: base + i, idempotencyKey: i % 2 ? `key-${i}` : null }),
      );
      before = count();
      expect(await backend.write(keyed)).toEqual({ conflicts: [] });
      expect(count() - before).toBe(1);
      expect((await backend.counts(normalizeQuery())).pending).toBe(5000);
    });

    it('writes 10,000 records in well under a second', async () => {
      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: schema() }));
      await backend.write([makeRecord()]);
      const base = Date.now();
      const records = Array.from({ length: 10_000 }, (_, i) =>
        makeRecord({
          createdAt: base + i,
          status: 'success',
          args: [{ user: i, email: `user${i}@example.com` }],
          logs: [{ at: base + i, message: 'sent' }],
          result: { ok: true },
        }),
      );
      const started = performance.now();
      await backend.write(records);
      const elapsed = performance.now() - started;
      console.log(`postgres: wrote 10,000 records in ${elapsed.toFixed(0)} ms`);
      expect(elapsed).toBeLessThan(2000);
      expect((await backend.counts(normalizeQuery())).success).toBe(10_000);
    });

    it('keeps the last write of an id repeated in one batch', async () => {
      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: schema() }));
      const record = makeRecord();
      const done = { ...record, status: 'success' as const, result: 1 };
      await backend.write([record, done]);
      expect(await backend.get(record.id)).toEqual(done);
    });

    it('lets a key released earlier in the batch be taken later in the same batch', async () => {
      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: schema() }));
      const first = makeRecord({ idempotencyKey: 'order-1', status: 'running' });
      await backend.write([first]);
      const next = makeRecord({ idempotencyKey: 'order-1' });
      const result = await backend.write([{ ...first, status: 'failed' }, next]);
      expect(result.conflicts).toEqual([]);
      expect((await backend.get(next.id))?.status).toBe('pending');
      // A third task with the key in one batch with the holder: the holder wins.
      const third = makeRecord({ idempotencyKey: 'order-1' });
      expect((await backend.write([third, { ...next, status: 'running' }])).conflicts).toEqual([
        { id: third.id, existingId: next.id },
      ]);
    });

    it('resolves a manual retry racing a new task for the same key, without failing either batch', async () => {
      const a = await opened(new PostgresBackend(POSTGRES_URL, { schema: schema() }));
      const b = await opened(new PostgresBackend(POSTGRES_URL, { schema: schemas.at(-1)! }));
      const keys = Array.from({ length: 40 }, (_, i) => `race-${i}`);
      const failed = keys.map((key) => makeRecord({ idempotencyKey: key, status: 'failed', owner: 'a' }));
      await a.write(failed);
      const retries = failed.map((record) => ({ ...record, status: 'pending' as const }));
      const fresh = keys.map((key) => makeRecord({ idempotencyKey: key, owner: 'b' }));
      const [resultA, resultB] = await Promise.all([a.write(retries), b.write(fresh)]);
      expect(resultA.conflicts.length + resultB.conflicts.length).toBe(keys.length);
      const holders = await adminQuery<{ n: string }>(
        `SELECT count(DISTINCT idempotency_key) AS n FROM "${schemas.at(-1)}".errand_tasks
         WHERE status IN ('pending', 'running', 'success', 'interrupted')`,
      );
      expect(Number(holders.rows[0]!.n)).toBe(keys.length);
      for (const conflict of [...resultA.conflicts, ...resultB.conflicts]) {
        expect((await a.get(conflict.existingId))?.status).toBe('pending');
      }
    });

    it('waits for a key holder another transaction has not committed yet, then reports it', async () => {
      const name = schema();
      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: name }));
      const failed = makeRecord({ idempotencyKey: 'held-later', status: 'failed' });
      await backend.write([failed]);
      for (const outcome of ['commit', 'rollback'] as const) {
        for (const candidate of [
          { ...failed, status: 'pending' as const }, // an existing row taking the key (UPDATE)
          makeRecord({ idempotencyKey: 'held-later' }), // a new row taking the key (INSERT)
        ]) {
          const other = makeRecord({ idempotencyKey: 'held-later' });
          const client = new pg.Client({
            connectionString: POSTGRES_URL,
            application_name: 'errand-test-holder',
          });
          await client.connect();
          try {
            await client.query('BEGIN');
            await client.query(
              `INSERT INTO "${name}".errand_tasks (id, name, queue, priority, tags, args, status, attempt,
                 max_attempts, created_at, run_at, logs, idempotency_key, owner, requeue_on_interrupt)
               VALUES ($1, 'conformance.task', 'default', 0, '[]', '[]', 'pending', 0, 1, $2, $2, '[]', $3, 'x', false)`,
              [other.id, other.createdAt, other.idempotencyKey],
            );
            const writing = backend.write([candidate]);
            await sleep(150);
            await client.query(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK');
            const result = await writing;
            if (outcome === 'commit') {
              expect(result.conflicts).toEqual([{ id: candidate.id, existingId: other.id }]);
              await adminQuery(`DELETE FROM "${name}".errand_tasks WHERE id = $1`, [other.id]);
            } else {
              expect(result.conflicts).toEqual([]);
              expect((await backend.get(candidate.id))?.status).toBe('pending');
              // Give the key back for the next case.
              await backend.write([{ ...candidate, status: 'failed' }]);
            }
          } finally {
            await client.end();
          }
        }
      }
    });

    it('stores text PostgreSQL cannot hold without failing the batch, and JSON exactly', async () => {
      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: schema() }));
      const odd = makeRecord({
        error: 'nul \0 here, lone \ud800 surrogate',
        args: ['nul \0 in JSON', 'lone \udc00', { 'key \0': 'emoji 😀' }],
        result: 'a string result',
        logs: [{ at: 1, message: 'x', fields: { z: 1, a: 2 } }],
      });
      const normal = makeRecord();
      await backend.write([odd, normal]);
      const stored = (await backend.get(odd.id)) as TaskRecord;
      expect(stored.error).toBe('nul \ufffd here, lone \ufffd surrogate');
      expect(stored.args).toEqual(odd.args);
      expect(Object.keys(stored.logs[0]!.fields!)).toEqual(['z', 'a']);
      expect({ ...stored, error: odd.error }).toEqual(odd);
      expect(await backend.get(normal.id)).toEqual(normal);
    });
  });

  describe('claim()', () => {
    it('scans the partial index of claimable rows', async () => {
      const name = schema();
      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: name }));
      const base = Date.now() - 100_000;
      await backend.write(
        Array.from({ length: 20_000 }, (_, i) =>
          makeRecord({ createdAt: base + i, status: i % 1000 === 0 ? 'pending' : 'success', owner: 'gone' }),
        ),
      );
      await adminQuery(`ANALYZE "${name}".errand_tasks`);
      const plan = await adminQuery<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${claimStatement(tableNames(name, 'errand_'))}`,
        ['me', ['conformance.task'], 10],
      );
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('errand_tasks_claimable');
      const claimed = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 100 });
      expect(claimed).toHaveLength(20);
    });
  });

  describe('schedules', () => {
    it('claims a tick in one transaction: 4 round trips when won, 3 when lost, 1 without tasks', async () => {
      const { pool, count } = countingPool({ connectionString: POSTGRES_URL, max: 2 });
      cleanups.push(() => pool.end());
      const backend = await opened(new PostgresBackend({ pool }, { schema: schema() }));
      const { schedules } = backend;
      await schedules.register(makeJob({ nextRunAt: 1000 }));
      const run = makeRecord({ idempotencyKey: 'sched:nightly-report:1000' });
      const claim = {
        jobId: 'nightly-report',
        expectedNextRunAt: 1000,
        nextRunAt: 2000,
        activeRuns: [run.id],
        lastRunAt: 1000,
        lastOutcome: null,
        tasks: [run],
      };
      let before = count();
      expect(await schedules.claimTick(claim)).toBe(true);
      expect(count() - before).toBe(4); // BEGIN, compare-and-set, write, COMMIT
      before = count();
      expect(await schedules.claimTick({ ...claim, tasks: [makeRecord()] })).toBe(false);
      expect(count() - before).toBe(3); // BEGIN, compare-and-set, ROLLBACK
      before = count();
      expect(
        await schedules.claimTick({ ...claim, expectedNextRunAt: 2000, nextRunAt: 3000, tasks: [] }),
      ).toBe(true);
      expect(count() - before).toBe(1);
      expect(await backend.get(run.id)).toEqual(run);
      expect((await schedules.get('nightly-report'))?.nextRunAt).toBe(3000);
    });

    it('rolls the compare-and-set back when storing the tasks fails', async () => {
      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: schema() }));
      const { schedules } = backend;
      await schedules.register(makeJob({ nextRunAt: 1000 }));
      const good = makeRecord();
      // NaN travels as JSON null: the NOT NULL column refuses the whole statement.
      const bad = makeRecord({ priority: Number.NaN });
      const claim = {
        jobId: 'nightly-report',
        expectedNextRunAt: 1000,
        nextRunAt: 2000,
        activeRuns: [],
        lastRunAt: 1000,
        lastOutcome: null,
        tasks: [good, bad],
      };
      const error = await schedules.claimTick(claim).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BackendError);
      expect(error).toMatchObject({ operation: 'schedules.claimTick' });
      expect(await schedules.get('nightly-report')).toMatchObject({ nextRunAt: 1000, lastRunAt: null });
      expect(await backend.get(good.id)).toBeNull();
      // The connection went back to the pool healthy: the tick can still be claimed.
      expect(await schedules.claimTick({ ...claim, tasks: [good] })).toBe(true);
      expect(await backend.get(good.id)).toEqual(good);
    });

    it('waits for a claim in flight on another connection, then loses to it', async () => {
      const name = schema();
      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: name }));
      await backend.schedules.register(makeJob({ nextRunAt: 1000 }));
      const client = new pg.Client({
        connectionString: POSTGRES_URL,
        application_name: 'errand-test-claimer',
      });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query(`UPDATE "${name}".errand_jobs SET next_run_at = 2000 WHERE id = 'nightly-report'`);
        const late = makeRecord();
        const claiming = backend.schedules.claimTick({
          jobId: 'nightly-report',
          expectedNextRunAt: 1000,
          nextRunAt: 2000,
          activeRuns: [late.id],
          lastRunAt: 1000,
          lastOutcome: null,
          tasks: [late],
        });
        await sleep(150);
        await client.query('COMMIT');
        expect(await claiming).toBe(false);
        expect(await backend.get(late.id)).toBeNull();
        expect(await backend.schedules.get('nightly-report')).toMatchObject({
          nextRunAt: 2000,
          activeRuns: [],
        });
      } finally {
        await client.end();
      }
    });

    it('registers the same job from several instances at once without an error', async () => {
      const name = schema();
      const backends = await Promise.all(
        Array.from({ length: 4 }, () => opened(new PostgresBackend(POSTGRES_URL, { schema: name }))),
      );
      const results = await Promise.all(
        backends.map((backend, i) =>
          backend.schedules.register(makeJob({ definitionHash: `hash-${i % 2}` })),
        ),
      );
      const stored = await backends[0]!.schedules.list();
      expect(stored).toHaveLength(1);
      expect(results.map((job) => job.id)).toEqual(Array(4).fill('nightly-report'));
    });

    it('reads due jobs from the partial jobs_due index', async () => {
      const name = schema();
      const backend = await opened(new PostgresBackend(POSTGRES_URL, { schema: name }));
      await adminQuery(
        `INSERT INTO "${name}".errand_jobs (id, task_name, trigger, definition_hash, options, next_run_at,
           paused, orphaned, active_runs, updated_at)
         SELECT 'job-' || lpad(i::text, 6, '0'), 't', '{"kind":"at","at":0}', 'h', '{}', i * 1000,
           i % 3 = 0, i % 5 = 0, '[]', 0
         FROM generate_series(1, 20000) AS i`,
      );
      await adminQuery(`ANALYZE "${name}".errand_jobs`);
      const plan = await adminQuery<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${dueStatement(tableNames(name, 'errand_'))}`,
        [10_000, 10],
      );
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('errand_jobs_due');
      expect((await backend.schedules.due(10_000, 100)).map((job) => job.id)).toEqual([
        'job-000001',
        'job-000002',
        'job-000004',
        'job-000007',
        'job-000008',
      ]);
    });

    it('rejects schedule calls before open()', async () => {
      const backend = new PostgresBackend(POSTGRES_URL, { schema: schema() });
      await expect(backend.schedules.list()).rejects.toBeInstanceOf(InvalidStateError);
      await expect(
        backend.schedules.claimTick({
          jobId: 'x',
          expectedNextRunAt: 1,
          nextRunAt: 2,
          activeRuns: [],
          lastRunAt: 1,
          lastOutcome: null,
          tasks: [makeRecord()],
        }),
      ).rejects.toBeInstanceOf(InvalidStateError);
    });
  });

  describe('lost connections', () => {
    it('fails or reconnects on the next call after its connections are terminated, then works again', async () => {
      const application = appName();
      const warnings: string[] = [];
      const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
      const backend = new PostgresBackend(
        { connectionString: POSTGRES_URL, application_name: application, max: 3 },
        { schema: schema() },
      );
      await backend.open({ logger });
      cleanups.push(() => backend.close());
      const before = makeRecord();
      await backend.write([before]);
      await Promise.all([backend.now(), backend.now(), backend.now()]);

      expect(await terminate(application)).toBeGreaterThan(0);
      await sleep(50);
      const next = await backend.get(before.id).catch((error: unknown) => error);
      if (next instanceof Error) expect(next).toBeInstanceOf(BackendError);
      else expect(next).toEqual(before);
      expect(await backend.get(before.id)).toEqual(before);
      const after = makeRecord();
      await backend.write([after]);
      expect(await backend.get(after.id)).toEqual(after);
      // Idle connections that died were reported, not thrown.
      expect(warnings.some((message) => message.includes('reconnects'))).toBe(true);
    });

    it('loses nothing when a write is cut off in the middle: it rejects whole and a retry stores it', async () => {
      const application = appName();
      const backend = await opened(
        new PostgresBackend(
          { connectionString: POSTGRES_URL, application_name: application, max: 2 },
          { schema: schema() },
        ),
      );
      const base = Date.now();
      const batch = Array.from({ length: 30_000 }, (_, i) =>
        makeRecord({ createdAt: base + i, status: 'success', args: [i, 'x'.repeat(200)] }),
      );
      let cut = false;
      for (let tries = 0; tries < 5 && !cut; tries++) {
        const writing = backend.write(batch).then(
          () => null,
          (error: unknown) => error,
        );
        // Kill the connection while the statement runs (it takes several hundred ms).
        await waitFor(
          async () =>
            (
              await adminQuery(
                `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`,
                [application],
              )
            ).rowCount! > 0,
          5000,
          'the write to start',
        );
        await terminate(application);
        const outcome = await writing;
        if (outcome !== null) {
          cut = true;
          expect(outcome).toBeInstanceOf(BackendError);
          expect(outcome).toMatchObject({ operation: 'write' });
          // All or nothing: the statement is its own transaction.
          expect([0, batch.length]).toContain((await backend.counts(normalizeQuery())).success);
        }
      }
      expect(cut).toBe(true);
      await backend.write(batch);
      expect((await backend.counts(normalizeQuery())).success).toBe(batch.length);
    });
  });

  describe('with a TaskManager', () => {
    it('rides out an outage: no crash, health goes false then true, every finished task is stored', async () => {
      // A role of its own lets the test refuse new connections (NOLOGIN) for a while
      // and kill the live ones, without touching the server or anyone else's sessions.
      const role = `errand_outage_${randomBytes(4).toString('hex')}`;
      const name = schema();
      const application = appName();
      await adminQuery(`CREATE ROLE ${role} LOGIN`);
      await adminQuery(`GRANT CREATE ON DATABASE ${new URL(POSTGRES_URL).pathname.slice(1)} TO ${role}`);
      cleanups.push(async () => {
        await dropSchema(name);
        await adminQuery(`DROP OWNED BY ${role}`);
        await adminQuery(`DROP ROLE ${role}`);
      });
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      cleanups.push(async () => process.off('unhandledRejection', onUnhandled));

      const backend = new PostgresBackend(
        {
          connectionString: urlWith((url) => (url.username = role)),
          application_name: application,
          max: 4,
          connectionTimeoutMillis: 2000,
        },
        { schema: name },
      );
      const manager = new TaskManager({
        backend,
        durability: 'durable',
        snapshotInterval: 200,
        concurrency: 16,
        instanceId: 'outage-a',
        leaseTtl: 10_000,
        takeoverInterval: 500,
        logger: false,
      });
      const backendErrors: BackendError[] = [];
      manager.on('backendError', (error) => backendErrors.push(error));
      const job = manager.define('outage.job', async (ctx, n: number) => {
        ctx.log('working', { n });
        await sleep(200 + (n % 8) * 100);
        return n * 2;
      });
      await manager.start();
      cleanups.push(() => manager.stop({ timeout: 5000 }));

      const health: boolean[] = [];
      const watcher = setInterval(() => health.push(manager.stats().backend!.healthy), 10);
      cleanups.push(async () => clearInterval(watcher));

      const ids = await Promise.all(Array.from({ length: 48 }, (_, n) => job.enqueue([n])));
      await sleep(100);
      // The outage: no new logins, and every open connection killed mid-run.
      await adminQuery(`ALTER ROLE ${role} NOLOGIN`);
      expect(await terminate(application)).toBeGreaterThan(0);
      await waitFor(() => !manager.stats().backend!.healthy, 10_000, 'the manager to notice the outage');
      await sleep(1500);
      await adminQuery(`ALTER ROLE ${role} LOGIN`);

      await waitFor(
        async () => {
          const stored = await adminQuery<{ n: string }>(
            `SELECT count(*) AS n FROM "${name}".errand_tasks WHERE status = 'success'`,
          );
          return Number(stored.rows[0]!.n) === ids.length;
        },
        30_000,
        'every task to be stored as finished',
      );
      await waitFor(() => manager.stats().backend!.healthy, 15_000, 'the manager to report healthy again');
      clearInterval(watcher);

      const firstDown = health.indexOf(false);
      expect(firstDown).toBeGreaterThan(-1);
      expect(health.slice(firstDown)).toContain(true);
      expect(backendErrors.length).toBeGreaterThan(0);
      expect(backendErrors[0]).toBeInstanceOf(BackendError);
      const rows = await adminQuery<{ id: string; result: number; logs: unknown[] }>(
        `SELECT id, result, logs FROM "${name}".errand_tasks ORDER BY created_at, id`,
      );
      expect(rows.rows.map((row) => row.id).sort()).toEqual([...ids].sort());
      for (const row of rows.rows) expect(row.logs).toHaveLength(1);
      await manager.stop({ timeout: 5000 });
      expect(unhandled).toEqual([]);
    });
  });
});
