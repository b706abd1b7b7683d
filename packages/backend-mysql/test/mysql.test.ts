import { randomBytes } from 'node:crypto';
import {
  BackendError,
  InvalidOptionError,
  normalizeQuery,
  SchemaVersionError,
  type StoredJob,
  TaskManager,
  type TaskRecord,
  type TickClaim,
} from '@errand/core';
import { makeJob, makeRecord, requireService, sleep, waitFor } from '@errand/core/testing';
import { createPool as createCallbackPool } from 'mysql2';
import { createPool, type Pool, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MysqlBackend } from '../src/index.js';
import { migrate } from '../src/migrate.js';
import { matchedRows } from '../src/sql/schedules.js';
import { writeRecords } from '../src/sql/write.js';
import { tablesFor } from '../src/tables.js';
import { admin, createDatabase, SERVER_URL, START_COMMAND, urlFor } from './helpers.js';

const available = await requireService(
  'MySQL/MariaDB',
  async () => {
    const connection = await admin();
    await connection.end();
  },
  START_COMMAND,
);

const context = { logger: { debug() {}, info() {}, warn() {}, error() {} } };

/** Counts statements sent through a pool and the connections it hands out. */
function countStatements(pool: Pool): { count(): number; reset(): void } {
  let count = 0;
  const wrap = (target: { query: unknown; execute: unknown }) => {
    for (const method of ['query', 'execute'] as const) {
      const original = (target[method] as (...args: unknown[]) => unknown).bind(target);
      target[method] = (...args: unknown[]) => {
        count++;
        return original(...args);
      };
    }
  };
  wrap(pool as never);
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = async () => {
    const connection = await getConnection();
    wrap(connection as never);
    return connection;
  };
  return { count: () => count, reset: () => (count = 0) };
}

describe.skipIf(!available)('mysql backend', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  const cleanups: Array<() => Promise<unknown>> = [];

  async function open(options: Partial<ConstructorParameters<typeof MysqlBackend>[0] & object> = {}) {
    const backend = new MysqlBackend({ url: database.url, connectionLimit: 4, ...options } as never);
    await backend.open(context);
    cleanups.push(() => backend.close());
    return backend;
  }

  /** Thread ids of every connection to this test's database: only our own. */
  async function ourConnections(): Promise<number[]> {
    const connection = await admin();
    try {
      const [rows] = await connection.query<RowDataPacket[]>(
        'SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
        [database.name],
      );
      return rows.map((row) => Number(row.ID));
    } finally {
      await connection.end();
    }
  }

  async function killOurConnections(): Promise<number> {
    const ids = await ourConnections();
    const connection = await admin();
    try {
      for (const id of ids) await connection.query('KILL ?', [id]).catch(() => {});
    } finally {
      await connection.end();
    }
    return ids.length;
  }

  /** Another connection holding the task row's lock in an open transaction (ROLLBACK releases it). */
  async function lockTaskRow(id: string) {
    const locker = await admin();
    cleanups.push(() => locker.end());
    await locker.query('START TRANSACTION');
    await locker.query(`SELECT id FROM \`${database.name}\`.errand_tasks WHERE id = ? FOR UPDATE`, [id]);
    return locker;
  }

  async function sqlRows(sql: string, values: unknown[] = []): Promise<RowDataPacket[]> {
    const connection = await admin();
    try {
      await connection.query(`USE \`${database.name}\``);
      const [rows] = await connection.query<RowDataPacket[]>(sql, values);
      return rows;
    } finally {
      await connection.end();
    }
  }

  beforeEach(async () => {
    database = await createDatabase();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    await database.drop();
  });

  describe('open()', () => {
    it('rejects a wrong password with a clear BackendError that does not show the password', async () => {
      const user = `errand_u_${randomBytes(4).toString('hex')}`;
      const root = await admin();
      await root.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'right-password-1'`);
      await root.query(`GRANT ALL ON \`${database.name}\`.* TO '${user}'@'%'`);
      try {
        const url = new URL(database.url);
        url.username = user;
        url.password = 'wrong-password-42';
        const backend = new MysqlBackend(url.toString());
        const error = await backend.open(context).then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(BackendError);
        expect(error).toMatchObject({ backend: 'mysql', operation: 'open' });
        expect((error as Error).message).toMatch(/Access denied for user/);
        expect((error as Error).message).toContain(`mysql://${user}@`);
        expect((error as Error).message).not.toContain('wrong-password-42');

        url.password = 'right-password-1';
        const right = new MysqlBackend(url.toString());
        await right.open(context);
        await right.close();
      } finally {
        await root.query(`DROP USER IF EXISTS '${user}'@'%'`);
        await root.end();
      }
    });

    it('rejects a port where no server listens', async () => {
      const url = new URL(SERVER_URL);
      url.port = '1';
      const backend = new MysqlBackend(url.toString());
      await expect(backend.open(context)).rejects.toThrow(BackendError);
      await expect(backend.open(context)).rejects.toThrow(/cannot connect to mysql:\/\/.*:1\/.*ECONNREFUSED/);
    });

    it('rejects an unknown host', async () => {
      const backend = new MysqlBackend({
        url: 'mysql://root@errand-no-such-host.invalid:3306/test',
        connectTimeout: 5000,
      });
      await expect(backend.open(context)).rejects.toThrow(
        /mysql backend: open failed: cannot connect to .*no-such-host/,
      );
    });

    it('rejects an unknown database', async () => {
      const backend = new MysqlBackend(urlFor(`${database.name}_missing`));
      await expect(backend.open(context)).rejects.toThrow(/Unknown database/);
    });

    it('rejects a malformed URL without echoing it', async () => {
      const backend = new MysqlBackend('mysql://root:pa55word-secret@[not-a-host');
      const error = await backend.open(context).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toMatch(/not a valid URL/);
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('pa55word');
      expect(String((error as Error).cause)).not.toContain('pa55word');
    });

    it('refuses a bad table prefix at construction', () => {
      expect(() => new MysqlBackend({ url: database.url, tablePrefix: 'x`; DROP' })).toThrow(
        InvalidOptionError,
      );
    });

    it('migrates exactly once when several instances open fresh tables at once', async () => {
      const backends = Array.from(
        { length: 5 },
        () => new MysqlBackend({ url: database.url, connectionLimit: 2 }),
      );
      cleanups.push(() => Promise.all(backends.map((backend) => backend.close())));
      await Promise.all(backends.map((backend) => backend.open(context)));
      const ledger = await sqlRows('SELECT version FROM errand_meta');
      expect(ledger.map((row) => row.version)).toEqual([1, 2]);
      const tables = await sqlRows('SHOW TABLES');
      expect(tables.map((row) => Object.values(row)[0]).sort()).toEqual([
        'errand_instances',
        'errand_jobs',
        'errand_meta',
        'errand_tasks',
      ]);
    });

    it('refuses a store whose schema is newer than this package', async () => {
      await open();
      await sqlRows(
        "INSERT INTO errand_meta (version, description, applied_at) VALUES (999, 'from the future', 0)",
      );
      const newer = new MysqlBackend(database.url);
      const error = await newer.open(context).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect((error as Error).message).toContain('999');
    });

    it('re-runs its DDL harmlessly when the ledger lost its row (every statement is idempotent)', async () => {
      const first = await open();
      const record = makeRecord();
      await first.write([record]);
      await sqlRows('DELETE FROM errand_meta');
      const second = await open();
      expect(await second.get(record.id)).toEqual(record);
      expect((await sqlRows('SELECT version FROM errand_meta')).length).toBe(2);
    });

    it('keeps stores with different table prefixes apart', async () => {
      const a = await open({ tablePrefix: 'app_a_' });
      const b = await open({ tablePrefix: 'app_b_' });
      const record = makeRecord();
      await a.write([record]);
      expect(await b.get(record.id)).toBeNull();
      expect(a.tables.tasks).toBe('app_a_tasks');
      expect((await sqlRows('SHOW TABLES LIKE ?', ['app_b_%'])).length).toBe(4);
    });
  });

  describe('an application-owned pool', () => {
    it('is used and never ended by close()', async () => {
      const pool = createPool({ uri: database.url, connectionLimit: 2 });
      try {
        const backend = new MysqlBackend({ pool });
        await backend.open(context);
        const record = makeRecord();
        await backend.write([record]);
        expect(await backend.get(record.id)).toEqual(record);
        await backend.close();
        const [rows] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM errand_tasks');
        expect(Number(rows[0]!.n)).toBe(1);
      } finally {
        await pool.end();
      }
    });

    it('may be a callback pool', async () => {
      const pool = createCallbackPool({ uri: database.url, connectionLimit: 2 });
      try {
        const backend = new MysqlBackend({ pool, tablePrefix: 'cb_' });
        await backend.open(context);
        await backend.heartbeat('i', 1000, {});
        await backend.close();
        const [rows] = await pool.promise().query<RowDataPacket[]>('SELECT id FROM cb_instances');
        expect(rows).toHaveLength(1);
      } finally {
        await pool.promise().end();
      }
    });
  });

  describe('storage', () => {
    it('compares names and keys byte for byte: case, accents and trailing spaces differ', async () => {
      const backend = await open();
      const keys = ['k', 'K', 'k ', 'é', 'e', '🙅'];
      const records = keys.map((key) => makeRecord({ idempotencyKey: key, name: `task ${key}` }));
      expect((await backend.write(records)).conflicts).toEqual([]);
      for (const record of records) {
        const found = await backend.query(normalizeQuery({ idempotencyKey: record.idempotencyKey! }));
        expect(found).toEqual([record]);
        expect(await backend.query(normalizeQuery({ name: record.name }))).toEqual([record]);
      }
    });

    it('applies two versions of one id in a batch in batch order', async () => {
      const backend = await open();
      const keyed = makeRecord({ idempotencyKey: 'order-1', status: 'pending' });
      const released = { ...keyed, status: 'failed' as const, error: 'no' };
      expect((await backend.write([keyed, released])).conflicts).toEqual([]);
      expect(await backend.get(keyed.id)).toEqual(released);
      const again = makeRecord({ idempotencyKey: 'order-1' });
      expect((await backend.write([again])).conflicts).toEqual([]);
    });

    it('matches errorContains case-insensitively but literally', async () => {
      const backend = await open();
      const records = [
        makeRecord({ status: 'failed', error: 'Quota 100% USED by ÜBER_user\\x' }),
        makeRecord({ status: 'failed', error: 'quota 100 used' }),
      ];
      await backend.write(records);
      const ids = async (text: string) =>
        (await backend.query(normalizeQuery({ errorContains: text }))).map((record) => record.id);
      expect(await ids('100% used')).toEqual([records[0]!.id]);
      expect(await ids('über_user\\x')).toEqual([records[0]!.id]);
      expect(await ids('!')).toEqual([]);
    });

    it('writes 5,000 records in a constant number of statements', async () => {
      const pool = createPool({ uri: database.url, connectionLimit: 2 });
      cleanups.push(() => pool.end());
      const statements = countStatements(pool);
      const backend = new MysqlBackend({ pool });
      await backend.open(context);
      const measure = async (records: TaskRecord[]) => {
        statements.reset();
        await backend.write(records);
        return statements.count();
      };
      const batch = (n: number, key: boolean) =>
        Array.from({ length: n }, (_, i) =>
          makeRecord({
            args: [i, 'x'.repeat(50)],
            idempotencyKey: key ? `key-${randomBytes(8).toString('hex')}` : null,
          }),
        );
      const plain = batch(5000, false);
      // One multi-row upsert, autocommitted.
      expect(await measure(plain)).toBe(1);
      expect(await measure(batch(10, false))).toBe(1);
      expect(await measure(plain.map((record) => ({ ...record, status: 'success' as const })))).toBe(1);
      // Past the statement budget (a quarter of max_allowed_packet): one transaction, two upserts.
      const bulky = Array.from({ length: 5000 }, () => makeRecord({ args: ['y'.repeat(1000)] }));
      expect(await measure(bulky)).toBe(4);
      // START TRANSACTION, key reservation, holder read, upsert, COMMIT.
      expect(await measure(batch(5000, true))).toBe(5);
      expect(await measure(batch(10, true))).toBe(5);
      expect((await backend.counts(normalizeQuery())).success).toBe(5000);
      expect((await backend.counts(normalizeQuery())).pending).toBe(10_020);

      await backend.write(batch(300, false).map((record) => ({ ...record, owner: 'gone' })));
      statements.reset();
      const claimed = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 300 });
      expect(claimed).toHaveLength(300);
      // SET TRANSACTION, START TRANSACTION, SELECT ... SKIP LOCKED, UPDATE, COMMIT.
      expect(statements.count()).toBe(5);
    });

    it('writes 10,000 records in well under a second', async () => {
      const backend = await open();
      const timings: number[] = [];
      for (let round = 0; round < 3; round++) {
        const base = Date.now();
        const records = Array.from({ length: 10_000 }, (_, i) =>
          makeRecord({
            createdAt: base + i,
            status: 'success',
            args: [i, { to: 'someone@example.com' }],
            logs: [{ at: base, message: 'sent' }],
            result: { ok: true },
          }),
        );
        const started = performance.now();
        await backend.write(records);
        timings.push(performance.now() - started);
      }
      console.log(`10,000-record write: ${timings.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);
      // About 0.4 s on an idle 2-core machine; the margin absorbs other test suites sharing the server.
      expect(Math.min(...timings)).toBeLessThan(1500);
      expect((await backend.counts(normalizeQuery())).success).toBe(30_000);
    });

    it('gives each key to exactly one record when writers race in different orders (deadlocks are retried)', async () => {
      const writers = await Promise.all(Array.from({ length: 4 }, () => open({ connectionLimit: 2 })));
      const keys = Array.from({ length: 100 }, (_, i) => `race-${i}`);
      const batches = writers.map((_, w) => {
        const shuffled = keys.slice().sort(() => Math.random() - 0.5);
        return shuffled.map((key) => makeRecord({ idempotencyKey: key, owner: `writer-${w}` }));
      });
      const results = await Promise.all(writers.map((writer, w) => writer.write(batches[w]!)));
      const conflicts = results.flatMap((result) => result.conflicts);
      expect(conflicts).toHaveLength(300);
      const rows = await sqlRows('SELECT id, idempotency_key FROM errand_tasks');
      expect(rows).toHaveLength(100);
      const holders = new Set(rows.map((row) => String(row.id)));
      for (const conflict of conflicts) expect(holders.has(conflict.existingId)).toBe(true);
    });
  });

  describe('scheduler storage', () => {
    const job = (overrides: Partial<StoredJob> = {}): StoredJob =>
      makeJob({
        id: 'nightly',
        trigger: { kind: 'cron', expression: '0 2 * * *', timezone: 'UTC' },
        definitionHash: 'h1',
        options: { args: [1, 'two'] },
        nextRunAt: 1000,
        updatedAt: 1,
        ...overrides,
      });
    const tick = (overrides: Partial<TickClaim> = {}): TickClaim => ({
      jobId: 'nightly',
      expectedNextRunAt: 1000,
      nextRunAt: 2000,
      activeRuns: [],
      lastRunAt: overrides.expectedNextRunAt ?? 1000,
      lastOutcome: null,
      tasks: [],
      ...overrides,
    });

    it('migrates a version-1 store to version 2 on open and keeps its tasks and keys', async () => {
      // The store as the previous release left it: migration 001 only, tasks written by write().
      const tables = tablesFor('errand_');
      const pool = createPool({ uri: database.url, connectionLimit: 2 });
      cleanups.push(() => pool.end());
      const connection = await pool.getConnection();
      try {
        await migrate(connection, tables, 1);
      } finally {
        connection.release();
      }
      const records = [
        makeRecord({ args: ['v1', { nested: true }], tags: ['old'] }),
        makeRecord({ idempotencyKey: 'kept-key', status: 'success', result: { ok: 1 } }),
      ];
      await writeRecords(pool, tables, records, 1 << 20);
      expect((await sqlRows('SELECT version FROM errand_meta')).map((row) => row.version)).toEqual([1]);
      expect(await sqlRows("SHOW TABLES LIKE 'errand_jobs'")).toHaveLength(0);

      // Three instances of the new release start at once: one migrates, all open.
      const backends = await Promise.all([open(), open(), open()]);
      expect((await sqlRows('SELECT version FROM errand_meta')).map((row) => row.version)).toEqual([1, 2]);
      for (const record of records) expect(await backends[0]!.get(record.id)).toEqual(record);
      const again = makeRecord({ idempotencyKey: 'kept-key' });
      expect((await backends[1]!.write([again])).conflicts).toEqual([
        { id: again.id, existingId: records[1]!.id },
      ]);
      await backends[1]!.schedules.register(job());
      expect(await backends[2]!.schedules.get('nightly')).toEqual(job());
    });

    it('rejects schedule calls before open() with a BackendError naming the call', async () => {
      const backend = new MysqlBackend(database.url);
      const error = await backend.schedules.list().then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).operation).toBe('schedules.list');
    });

    it('counts matched rows, not changed rows, even on a pool without CLIENT_FOUND_ROWS', async () => {
      const pool = createPool({ uri: database.url, connectionLimit: 2, flags: ['-FOUND_ROWS'] });
      cleanups.push(() => pool.end());
      const backend = new MysqlBackend({ pool });
      await backend.open(context);
      await backend.schedules.register(job());
      // Without the flag the server reports an UPDATE that rewrites the same values as 0 affected rows.
      const [header] = await pool.query<ResultSetHeader>(
        'UPDATE errand_jobs SET paused = paused WHERE id = ?',
        ['nightly'],
      );
      expect(header.affectedRows).toBe(0);
      expect(matchedRows(header)).toBe(1);
      const [none] = await pool.query<ResultSetHeader>('UPDATE errand_jobs SET paused = 0 WHERE id = ?', [
        'nope',
      ]);
      expect(matchedRows(none)).toBe(0);
      // And with the flag (mysql2's default), affectedRows already counts matches.
      const root = await admin();
      try {
        const [found] = await root.query<ResultSetHeader>(
          `UPDATE \`${database.name}\`.errand_jobs SET paused = paused WHERE id = ?`,
          ['nightly'],
        );
        expect([found.affectedRows, matchedRows(found)]).toEqual([1, 1]);
      } finally {
        await root.end();
      }

      expect(await backend.schedules.setPaused('nightly', false)).toBe(true);
      expect(await backend.schedules.setPaused('nope', false)).toBe(false);
      // A claim that leaves next_run_at as it was still wins, once per expected value.
      expect(await backend.schedules.claimTick(tick({ nextRunAt: 1000 }))).toBe(true);
      expect(await backend.schedules.claimTick(tick({ nextRunAt: 1000 }))).toBe(true);
      expect(await backend.schedules.claimTick(tick({ expectedNextRunAt: 999 }))).toBe(false);
    });

    it('claims a tick in one transaction: statements per shape, and a failed task write undoes the claim', async () => {
      const pool = createPool({ uri: database.url, connectionLimit: 2 });
      cleanups.push(() => pool.end());
      const statements = countStatements(pool);
      const backend = new MysqlBackend({ pool });
      await backend.open(context);
      const { schedules } = backend;
      await schedules.register(job());
      const measure = async (claim: TickClaim) => {
        statements.reset();
        const won = await schedules.claimTick(claim);
        return [won, statements.count()];
      };
      // No tasks: the compare-and-set alone, autocommitted.
      expect(await measure(tick({ expectedNextRunAt: 1000, nextRunAt: 2000 }))).toEqual([true, 1]);
      // A plain task: START TRANSACTION, UPDATE, upsert, COMMIT.
      const plain = makeRecord();
      expect(await measure(tick({ expectedNextRunAt: 2000, nextRunAt: 3000, tasks: [plain] }))).toEqual([
        true,
        4,
      ]);
      // A keyed task: START TRANSACTION, UPDATE, key reservation, holder read, upsert, COMMIT.
      const keyed = makeRecord({ idempotencyKey: 'sched:nightly:3000' });
      expect(await measure(tick({ expectedNextRunAt: 3000, nextRunAt: 4000, tasks: [keyed] }))).toEqual([
        true,
        6,
      ]);
      // Lost: START TRANSACTION, UPDATE, COMMIT; nothing written.
      const late = makeRecord();
      expect(await measure(tick({ expectedNextRunAt: 3000, tasks: [late] }))).toEqual([false, 3]);
      expect(await backend.get(late.id)).toBeNull();
      expect(await backend.get(plain.id)).toEqual(plain);
      expect(await backend.get(keyed.id)).toEqual(keyed);

      // The server refuses the task (name too long for its column, strict mode): the
      // compare-and-set that ran before it in the transaction is rolled back.
      const refused = makeRecord({ name: 'x'.repeat(2000) });
      const error = await schedules
        .claimTick(
          tick({ expectedNextRunAt: 4000, nextRunAt: 5000, lastOutcome: 'missed', tasks: [refused] }),
        )
        .then(
          () => null,
          (caught: unknown) => caught,
        );
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).operation).toBe('schedules.claimTick');
      expect(await schedules.get('nightly')).toMatchObject({
        nextRunAt: 4000,
        lastRunAt: 3000,
        lastOutcome: null,
      });
      expect(await schedules.claimTick(tick({ expectedNextRunAt: 4000, nextRunAt: 5000 }))).toBe(true);
    });

    it('lets exactly one of several instances claim each tick under MariaDB snapshot isolation too', async (ctx) => {
      if ((await sqlRows("SHOW VARIABLES LIKE 'innodb_snapshot_isolation'")).length === 0) ctx.skip();
      const pools = Array.from({ length: 3 }, () => {
        const pool = createPool({ uri: database.url, connectionLimit: 2 });
        pool.pool.on('connection', (connection) => {
          connection.query('SET SESSION innodb_snapshot_isolation = ON');
        });
        cleanups.push(() => pool.end());
        return pool;
      });
      const backends = await Promise.all(
        pools.map(async (pool) => {
          const backend = new MysqlBackend({ pool });
          await backend.open(context);
          return backend;
        }),
      );
      await backends[0]!.schedules.register(job({ nextRunAt: 0 }));
      for (let n = 0; n < 20; n++) {
        const runs = backends.map(() => makeRecord({ idempotencyKey: `sched:nightly:${n}` }));
        const won = await Promise.all(
          backends.map((backend, i) =>
            backend.schedules.claimTick(tick({ expectedNextRunAt: n, nextRunAt: n + 1, tasks: [runs[i]!] })),
          ),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = won.indexOf(true);
        expect(await backends[0]!.get(runs[winner]!.id)).toEqual(runs[winner]);
      }
      expect(await sqlRows('SELECT id FROM errand_tasks')).toHaveLength(20);
    });

    it('registers one job from many instances at once without an error and stores it once', async () => {
      const backends = await Promise.all(Array.from({ length: 5 }, () => open({ connectionLimit: 2 })));
      for (let round = 0; round < 5; round++) {
        const id = `job-${round}`;
        const results = await Promise.all(
          backends.map((backend) => backend.schedules.register(job({ id, definitionHash: `h-${round}` }))),
        );
        for (const result of results) expect(result).toEqual(job({ id, definitionHash: `h-${round}` }));
      }
      expect((await backends[0]!.schedules.list()).map((stored) => stored.id)).toEqual([
        'job-0',
        'job-1',
        'job-2',
        'job-3',
        'job-4',
      ]);
    });

    it('answers due() from its index, in order, without a sort', async () => {
      const backend = await open();
      const values = Array.from({ length: 2000 }, (_, i) => [
        `job-${String(i).padStart(5, '0')}`,
        'task',
        '{}',
        'h',
        '{}',
        i % 7 === 0 ? null : (i * 7919) % 5000,
        i % 5 === 0 ? 1 : 0,
        i % 11 === 0 ? 1 : 0,
        '[]',
        0,
      ]);
      await sqlRows(
        `INSERT INTO errand_jobs (id, task_name, \`trigger\`, definition_hash, options, next_run_at, paused,
          orphaned, active_runs, updated_at) VALUES ?`,
        [values],
      );
      await sqlRows('ANALYZE TABLE errand_jobs');
      const [plan] = await sqlRows(
        `EXPLAIN SELECT id FROM errand_jobs WHERE paused = 0 AND orphaned = 0 AND next_run_at <= 2500
          ORDER BY next_run_at, id LIMIT 50`,
      );
      expect(plan!.key).toBe('due');
      expect(String(plan!.Extra)).not.toContain('filesort');
      const due = await backend.schedules.due(2500, 50);
      const expected = values
        .filter((row) => row[6] === 0 && row[7] === 0 && row[5] !== null && (row[5] as number) <= 2500)
        .sort((a, b) => (a[5] as number) - (b[5] as number) || (a[0]! < b[0]! ? -1 : 1))
        .slice(0, 50)
        .map((row) => row[0]);
      expect(due.map((stored) => stored.id)).toEqual(expected);
    });
  });

  describe('connections killed mid-run', () => {
    it('fails the call whose connection is killed, then works again', async () => {
      const backend = await open({ connectionLimit: 2 });
      const record = makeRecord({ status: 'running', owner: 'a', attempt: 1 });
      await backend.write([record]);

      // Hold the row so the next write waits inside the server, then kill it there.
      const locker = await lockTaskRow(record.id);
      const outcome = backend.write([{ ...record, status: 'success' }]).then(
        () => null,
        (error: unknown) => error,
      );
      let settled = false;
      void outcome.then(() => (settled = true));
      while (!settled) {
        await killOurConnections();
        await sleep(50);
      }
      const error = await outcome;
      expect(error).toBeInstanceOf(BackendError);
      expect(error).toMatchObject({ operation: 'write' });
      await locker.query('ROLLBACK');

      expect((await backend.get(record.id))?.status).toBe('running');
      await backend.write([{ ...record, status: 'success' }]);
      expect((await backend.get(record.id))?.status).toBe('success');
    });

    it('rolls back a keyed write killed half-way: no row, no key taken', async () => {
      const backend = await open({ connectionLimit: 2 });
      const held = makeRecord({ idempotencyKey: 'zz-held', owner: 'a' });
      await backend.write([held]);
      const locker = await lockTaskRow(held.id);
      // 'aa-new' sorts first, so it is inserted before the statement waits on the held row.
      const fresh = makeRecord({ idempotencyKey: 'aa-new', owner: 'a' });
      const outcome = backend.write([fresh, { ...held, status: 'running' }]).then(
        () => null,
        (error: unknown) => error,
      );
      let settled = false;
      void outcome.then(() => (settled = true));
      while (!settled) {
        await killOurConnections();
        await sleep(50);
      }
      expect(await outcome).toBeInstanceOf(BackendError);
      await locker.query('ROLLBACK');
      expect(await backend.get(fresh.id)).toBeNull();
      const other = makeRecord({ idempotencyKey: 'aa-new' });
      expect((await backend.write([other])).conflicts).toEqual([]);
    });

    it('replaces idle connections killed between calls', async () => {
      const backend = await open({ connectionLimit: 3 });
      await Promise.all([backend.now(), backend.now(), backend.now()]);
      expect(await killOurConnections()).toBeGreaterThan(0);
      await sleep(50);
      const record = makeRecord({ owner: 'gone' });
      // A call may meet a connection whose kill notice has not arrived yet: one failure at most.
      const eventually = async <T>(call: () => Promise<T>): Promise<T> => {
        try {
          return await call();
        } catch (error) {
          expect(error).toBeInstanceOf(BackendError);
          return call();
        }
      };
      await eventually(() => backend.write([record]));
      await eventually(() => backend.heartbeat('me', 10_000, {}));
      expect(await eventually(() => backend.get(record.id))).toEqual(record);
      const claimed = await eventually(() =>
        backend.claim({ instanceId: 'me', names: [record.name], limit: 10 }),
      );
      expect(claimed.map((task) => task.id)).toEqual([record.id]);
    });

    it('a durable manager rides out killed connections: no crash, health flips, every task lands finished', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      cleanups.push(async () => process.off('unhandledRejection', onUnhandled));

      const backend = new MysqlBackend({ url: database.url, connectionLimit: 4 });
      const manager = new TaskManager({
        backend,
        durability: 'durable',
        snapshotInterval: 200,
        concurrency: 8,
        instanceId: 'outage',
        leaseTtl: 10_000,
        takeoverInterval: 300,
        logger: false,
      });
      cleanups.push(() => manager.stop({ timeout: 0 }));
      const backendErrors: BackendError[] = [];
      manager.on('backendError', (error) => backendErrors.push(error));
      const job = manager.define('job', async (_ctx, n: number) => {
        await sleep(10);
        return n * 2;
      });
      await manager.start();
      const ids = await Promise.all(Array.from({ length: 150 }, (_, n) => job.enqueue([n])));

      // The outage: the tasks table is locked, every statement on it waits and its connection is killed.
      const locker = await admin();
      cleanups.push(() => locker.end());
      await locker.query(`LOCK TABLES \`${database.name}\`.errand_tasks WRITE`);
      let sawUnhealthy = false;
      const outageEnds = Date.now() + 1500;
      while (Date.now() < outageEnds) {
        await killOurConnections();
        if (manager.stats().backend?.healthy === false) sawUnhealthy = true;
        await sleep(30);
      }
      await locker.query('UNLOCK TABLES');
      expect(sawUnhealthy).toBe(true);
      expect(backendErrors.length).toBeGreaterThan(0);

      const reader = await open();
      await waitFor(
        async () => (await reader.counts(normalizeQuery({ name: 'job' }))).success === ids.length,
        30_000,
        'every task to be stored as success',
      );
      await waitFor(
        () => manager.stats().backend?.healthy === true,
        15_000,
        'the backend to be healthy again',
      );
      await manager.stop({ timeout: 5000 });
      const stored = await reader.query(normalizeQuery({ name: 'job', limit: 1000 }));
      expect(stored).toHaveLength(ids.length);
      for (const record of stored)
        expect(record).toMatchObject({ status: 'success', result: (record.args[0] as number) * 2 });
      expect(unhandled).toEqual([]);
    });
  });
});
