import { randomBytes } from 'node:crypto';
import {
  BackendError,
  InvalidOptionError,
  InvalidStateError,
  normalizeQuery,
  SchemaVersionError,
  type StoredJob,
  TaskManager,
  type TaskRecord,
  type TickClaim,
} from '@errand/core';
import { makeRecord, requireService, sleep, waitFor } from '@errand/core/testing';
import { makeJob } from '@errand/scheduler/testing';
import { TASK_COLUMNS } from '@errand/sql';
import { createPool as createCallbackPool, format } from 'mysql2';
import {
  createPool,
  type Pool,
  type QueryOptions,
  type ResultSetHeader,
  type RowDataPacket,
} from 'mysql2/promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Db, matchedRows } from '../src/connection.js';
import { MysqlBackend } from '../src/index.js';
import { MIGRATIONS, migrate } from '../src/migrations/index.js';
import { taskValues } from '../src/row.js';
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

/** The statements a pool's connections run, as sent (mysql2 puts the values in on the client). */
function recordStatements(pool: Pool): string[] {
  const sent: string[] = [];
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = async () => {
    const connection = await getConnection();
    const query = connection.query.bind(connection) as (options: QueryOptions) => unknown;
    connection.query = ((options: QueryOptions) => {
      sent.push(format(options.sql, options.values as never));
      return query(options);
    }) as never;
    return connection;
  };
  return sent;
}

const DIGITS = `(${Array.from({ length: 10 }, (_, n) => `SELECT ${n} AS n`).join(' UNION ALL ')})`;

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

  /** The index a statement's plan starts from, and the rows the server read to run it (its effect undone). */
  async function cost(statement: string): Promise<{ key: string; reads: number }> {
    const connection = await admin();
    try {
      await connection.query(`USE \`${database.name}\``);
      const [plan] = await connection.query<RowDataPacket[]>(`EXPLAIN ${statement}`);
      const reads = async () => {
        const [rows] = await connection.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Handler_read%'");
        return rows.reduce((sum, row) => sum + Number(row.Value), 0);
      };
      const overhead = -(await reads()) + (await reads());
      await connection.query('START TRANSACTION');
      const before = await reads();
      await connection.query(statement);
      const read = (await reads()) - before - overhead;
      await connection.query('ROLLBACK');
      return { key: String(plan[0]!.key), reads: read };
    } finally {
      await connection.end();
    }
  }

  /** The store as an earlier release left it: its migrations up to `version` only. */
  async function migrateTo(version: number): Promise<void> {
    const pool = createPool({ uri: database.url, connectionLimit: 1 });
    try {
      const connection = await pool.getConnection();
      await migrate(new Db(pool, 5000, connection), tablesFor('errand_'), version).finally(() =>
        connection.release(),
      );
    } finally {
      await pool.end();
    }
  }

  /** Rows as the releases before schema 3 wrote them: no cancel request, expiry or headers; tags as a list. */
  async function writeAsBefore(records: TaskRecord[]): Promise<void> {
    const added = ['cancel_requested', 'expires_at', 'headers'];
    const columns = TASK_COLUMNS.filter((column) => !added.includes(column));
    const rows = records.map((record) => {
      const values = taskValues(record);
      return columns.map((column) =>
        column === 'tags' ? JSON.stringify(Object.keys(record.tags)) : values[TASK_COLUMNS.indexOf(column)],
      );
    });
    await sqlRows(`INSERT INTO errand_tasks (${columns.join(', ')}) VALUES ?`, [rows]);
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

    it('refuses a bad operationTimeout at construction', () => {
      for (const operationTimeout of [0, 9, 1.5, -1, Number.NaN, '5000'])
        expect(() => new MysqlBackend({ url: database.url, operationTimeout } as never)).toThrow(
          InvalidOptionError,
        );
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
      expect(ledger.map((row) => row.version)).toEqual([1, 2, 3]);
      const tables = await sqlRows('SHOW TABLES');
      expect(tables.map((row) => Object.values(row)[0]).sort()).toEqual([
        'errand_counters',
        'errand_instances',
        'errand_jobs',
        'errand_locks',
        'errand_meta',
        'errand_queues',
        'errand_semaphores',
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
      expect((await sqlRows('SELECT version FROM errand_meta')).length).toBe(3);
      // Migration 3's ALTERs met their own work (a duplicate column, an index already dropped) and went on.
      const indexes = new Set((await sqlRows('SHOW INDEX FROM errand_tasks')).map((row) => row.Key_name));
      for (const name of ['claim_order', 'finished', 'cancel_requests']) expect(indexes.has(name)).toBe(true);
      expect(indexes.has('claim')).toBe(false);
    });

    it('keeps stores with different table prefixes apart', async () => {
      const a = await open({ tablePrefix: 'app_a_' });
      const b = await open({ tablePrefix: 'app_b_' });
      const record = makeRecord();
      await a.write([record]);
      expect(await b.get(record.id)).toBeNull();
      expect(a.tables.tasks).toBe('app_a_tasks');
      expect((await sqlRows('SHOW TABLES LIKE ?', ['app_b_%'])).length).toBe(8);
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

    it('keeps errorContains accent-sensitive, as on the byte-exact columns', async () => {
      const backend = await open();
      const record = makeRecord({ status: 'failed', error: 'Résumé of ÜBER Straße' });
      await backend.write([record]);
      const ids = async (text: string) =>
        (await backend.query(normalizeQuery({ errorContains: text }))).map((found) => found.id);
      expect(await ids('über straße')).toEqual([record.id]);
      expect(await ids('résumé')).toEqual([record.id]);
      for (const text of ['uber', 'resume', 'strasse']) expect(await ids(text)).toEqual([]);
    });

    it('reports fenced ids exactly, in one statement unless a row was left unchanged, with or without CLIENT_FOUND_ROWS', async () => {
      for (const [n, flags] of [[], ['-FOUND_ROWS']].entries()) {
        const pool = createPool({ uri: database.url, connectionLimit: 2, flags });
        cleanups.push(() => pool.end());
        const statements = countStatements(pool);
        const backend = new MysqlBackend({ pool, tablePrefix: `f${n}_` });
        await backend.open(context);
        const measure = async (records: TaskRecord[]) => {
          statements.reset();
          const { fenced } = await backend.write(records);
          return [fenced, statements.count()];
        };
        const held = makeRecord({ owner: 'b', status: 'running' });
        const big = makeRecord({ owner: 'b', status: 'running', args: ['z'.repeat(100_000)] });
        // New rows and changed rows: one statement, nothing fenced.
        expect(await measure([held])).toEqual([[], 1]);
        expect(await measure([big])).toEqual([[], 2]); // too large to send twice: checked
        expect(await measure([makeRecord(), makeRecord()])).toEqual([[], 1]);
        expect(await measure([{ ...held, progress: 50 }])).toEqual([[], 1]);
        // Refused by the fence, alone or among others: the upsert and one check.
        const stale = { ...held, owner: 'a', status: 'success' as const };
        expect(await measure([stale])).toEqual([[held.id], 2]);
        expect(await measure([makeRecord(), stale, { ...held, owner: 'c' }])).toEqual([[held.id], 2]);
        expect(await measure([{ ...big, owner: 'a' }])).toEqual([[big.id], 2]);
        // Rewritten with the values it has: checked, and not fenced.
        expect(await measure([{ ...held, progress: 50 }])).toEqual([[], 2]);
        expect((await backend.get(held.id))?.owner).toBe('b');
        // A keyed row fenced by the locked read, beside a plain one fenced by the upsert.
        const keyed = makeRecord({ owner: 'b', idempotencyKey: `k${n}` });
        await backend.write([keyed]);
        const result = await backend.write([
          { ...keyed, owner: 'a' },
          { ...held, owner: 'a' },
        ]);
        expect(result.fenced.sort()).toEqual([keyed.id, held.id].sort());
        await backend.close();
      }
    });

    it('refuses a batch holding a record over max_allowed_packet whole, and stays usable (a 20 MB log line)', async () => {
      const backend = await open({ connectionLimit: 2 });
      const line = { at: Date.now(), message: 'x'.repeat(20 << 20) };
      const poison = makeRecord({ status: 'success', logs: [line] });
      const others = [makeRecord(), makeRecord({ idempotencyKey: 'poison-neighbour' }), makeRecord()];
      for (const batch of [[poison], [...others, poison], [poison, others[1]!]]) {
        const error = await backend.write(batch).then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(BackendError);
        expect(error).toMatchObject({ operation: 'write', failure: 'refused' });
      }
      expect(await backend.counts(normalizeQuery())).toMatchObject({ pending: 0, success: 0 });
      // A job over the packet limit is refused too (the server would drop the connection).
      const huge = makeJob({ options: { blob: 'y'.repeat(20 << 20) } });
      await expect(backend.schedules.register(huge)).rejects.toMatchObject({ failure: 'refused' });
      // A value too long for its column is refused too.
      const long = await backend.write([makeRecord({ name: 'n'.repeat(2000) })]).catch((caught) => caught);
      expect(long).toMatchObject({ failure: 'refused' });
      // The pool is still usable: the rest of the batch lands.
      expect(await backend.write(others)).toEqual({ conflicts: [], fenced: [] });
      for (const record of others) expect(await backend.get(record.id)).toEqual(record);
      expect(await backend.schedules.list()).toEqual([]);
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
      await backend.heartbeat('me', 60_000, {});
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

    it('migrates a version-1 store to the newest version on open and keeps its tasks and keys', async () => {
      // The store as the first release left it: migration 001 only, tasks as its write() stored them.
      await migrateTo(1);
      const records = [
        makeRecord({ args: ['v1', { nested: true }], tags: { old: '' } }),
        makeRecord({ idempotencyKey: 'kept-key', status: 'success', result: { ok: 1 } }),
      ];
      await writeAsBefore(records);
      expect((await sqlRows('SELECT version FROM errand_meta')).map((row) => row.version)).toEqual([1]);
      expect(await sqlRows("SHOW TABLES LIKE 'errand_jobs'")).toHaveLength(0);

      // Three instances of the new release start at once: one migrates, all open.
      const backends = await Promise.all([open(), open(), open()]);
      expect((await sqlRows('SELECT version FROM errand_meta')).map((row) => row.version)).toEqual([1, 2, 3]);
      for (const record of records) expect(await backends[0]!.get(record.id)).toEqual(record);
      const again = makeRecord({ idempotencyKey: 'kept-key' });
      expect((await backends[1]!.write([again])).conflicts).toEqual([
        { id: again.id, existingId: records[1]!.id },
      ]);
      await backends[1]!.schedules.register(job());
      expect(await backends[2]!.schedules.get('nightly')).toEqual(job());
    });

    it('rejects schedule calls before open() with an InvalidStateError naming the call', async () => {
      const backend = new MysqlBackend(database.url);
      const error = await backend.schedules.list().then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(InvalidStateError);
      expect((error as Error).message).toContain('schedules.list');
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
      expect((await backend.schedules.claimTick(tick({ nextRunAt: 1000 }))).won).toBe(true);
      expect((await backend.schedules.claimTick(tick({ nextRunAt: 1000 }))).won).toBe(true);
      expect((await backend.schedules.claimTick(tick({ expectedNextRunAt: 999 }))).won).toBe(false);
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
        const { won } = await schedules.claimTick(claim);
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
      expect((await schedules.claimTick(tick({ expectedNextRunAt: 4000, nextRunAt: 5000 }))).won).toBe(true);
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
          backends.map(
            async (backend, i) =>
              (
                await backend.schedules.claimTick(
                  tick({ expectedNextRunAt: n, nextRunAt: n + 1, tasks: [runs[i]!] }),
                )
              ).won,
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

  describe('the fleet and flow control', () => {
    it('upgrades a store of the previous release (schema 2), even one whose migration 3 was cut short', async () => {
      await migrateTo(2);
      const t0 = Date.now() - 60_000;
      const old = makeRecord({ tags: { report: '', eu: '' }, createdAt: t0 });
      const kept = makeRecord({ idempotencyKey: 'kept', status: 'success', createdAt: t0 + 1 });
      const urgent = makeRecord({ owner: null, priority: 5, createdAt: t0 + 2 });
      await writeAsBefore([old, kept, urgent]);
      // Cut short: the columns were added; the index changes, the new tables and the ledger row were not.
      await sqlRows(MIGRATIONS[2]!.statements(tablesFor('errand_'))[0]!);

      const [a, b] = await Promise.all([open(), open()]);
      expect((await sqlRows('SELECT version FROM errand_meta')).map((row) => row.version)).toEqual([1, 2, 3]);
      // A stored list of tags reads as keys with empty values; a tag filter never matches it, nor fails on it.
      for (const record of [old, kept, urgent]) expect(await a.get(record.id)).toEqual(record);
      expect(await a.query(normalizeQuery({ tags: { report: '' } }))).toEqual([]);
      expect((await b.write([makeRecord({ idempotencyKey: 'kept' })])).conflicts).toHaveLength(1);
      await b.heartbeat('me', 60_000, {});
      const claimed = await b.claim({ instanceId: 'me', names: ['conformance.task'], limit: 1 });
      expect(claimed.map((record) => record.id)).toEqual([urgent.id]);
      expect(await a.cancel(old.id)).toBe('cancelled');
      expect(await a.setQueueOverride('default', { paused: true })).toMatchObject({ paused: true });
    });

    it('serves claims, cancel requests, purge and aggregates from their indexes on a large history', async () => {
      const pool = createPool({ uri: database.url, connectionLimit: 2 });
      cleanups.push(() => pool.end());
      const sent = recordStatements(pool);
      const backend = new MysqlBackend({ pool });
      await backend.open(context);
      // 50,000 finished tasks of a gone instance; the cancelled third keep their request flag.
      const t0 = 1_700_000_000_000;
      await sqlRows(`INSERT INTO errand_tasks (id, name, queue, priority, tags, args, status, attempt,
          max_attempts, created_at, finished_at, duration, run_at, logs, result, requeue_on_interrupt, owner,
          cancel_requested)
        SELECT CONCAT('h-', LPAD(n, 34, '0')), 'conformance.task', 'default', n % 10, '{}', '[]',
          ELT(1 + n % 3, 'success', 'failed', 'cancelled'), 1, 1, ${t0} + n, ${t0} + n + 5, 4, ${t0} + n, '[]',
          'null', 0, 'gone', n % 3 = 2
        FROM (SELECT a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n AS n
          FROM ${DIGITS} a, ${DIGITS} b, ${DIGITS} c, ${DIGITS} d, ${DIGITS} e) digits WHERE n < 50000`);
      const waiting = Array.from({ length: 200 }, (_, i) => makeRecord({ owner: null, priority: i % 7 }));
      const mine = [makeRecord({ owner: 'me', status: 'running' }), makeRecord({ owner: 'me' })];
      await backend.write([...waiting, ...mine]);
      await backend.heartbeat('me', 60_000, {});
      for (const record of mine) expect(await backend.cancel(record.id)).toBe('requested');
      await sqlRows('ANALYZE TABLE errand_tasks');

      const statement = (pattern: RegExp) => sent.filter((sql) => pattern.test(sql)).at(-1)!;
      const claimed = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 10 });
      expect(claimed.map((record) => record.priority)).toEqual(Array(10).fill(6));
      const claim = await cost(statement(/SKIP LOCKED/));
      expect(claim.key).toBe('claim_order');
      // 21 reads on a server that walks the index backwards; one that ignores DESC sorts the 202 claimable rows.
      expect(claim.reads).toBeLessThan(1000);

      expect((await backend.heartbeat('me', 60_000, {})).cancelRequests.sort()).toEqual(
        mine.map((record) => record.id).sort(),
      );
      const requests = await cost(statement(/cancel_requested = 1 AND status NOT IN/));
      expect(requests.key).toBe('cancel_requests');
      expect(requests.reads).toBeLessThan(100);

      const request = { status: 'success' as const, finishedBefore: t0 + 40_000, queues: null, limit: 100 };
      expect(await backend.purge({ ...request, excludeQueues: ['other'] })).toBe(100);
      const purge = await cost(statement(/^DELETE .* ORDER BY finished_at, id LIMIT/s));
      expect(purge.key).toBe('finished');
      expect(purge.reads).toBeLessThan(1000);

      const window = { since: t0 + 20_000, until: t0 + 21_000, bucketMs: 100, durationSample: 20 };
      const aggregate = await backend.aggregate(window);
      expect(aggregate.finished.reduce((sum, row) => sum + row.count, 0)).toBe(1000);
      const finished = await cost(statement(/GROUP BY 1, 2/));
      expect(finished.key).toBe('finished');
      expect(finished.reads).toBeLessThan(5000);
      expect(aggregate.durations).toHaveLength(20);
      const durations = await cost(statement(/ORDER BY finished_at DESC/));
      expect(durations.key).toBe('finished');
      expect(durations.reads).toBeLessThan(100);
      expect((await cost(statement(/MIN\(created_at\)/))).reads).toBeLessThan(10);
    });

    it('filters tags whose keys and values hold quotes, backslashes and JSON path syntax', async () => {
      const backend = await open();
      const odd = { 'it\'s "quoted"': 'back\\slash', 'a\\"b': 'x\'y"z', ünï: 'çödé', 'a.b': '$[0]' };
      const match = makeRecord({ tags: odd });
      const near = makeRecord({ tags: { ...odd, 'a.b': '$[1]' } });
      await backend.write([match, near]);
      await writeAsBefore([makeRecord({ tags: { 'a.b': '', 'it\'s "quoted"': '' } })]);
      const ids = async (tags: Record<string, string>) =>
        (await backend.query(normalizeQuery({ tags }))).map((record) => record.id);
      for (const [key, value] of Object.entries(odd)) {
        const expected = key === 'a.b' ? [match.id] : [near.id, match.id];
        expect((await ids({ [key]: value })).sort()).toEqual(expected.sort());
      }
      expect(await ids(odd)).toEqual([match.id]);
      expect(await ids({ 'a.b': '' })).toEqual([]);
      expect(await ids({ 'it\'s "quoted"': 'back' })).toEqual([]);
      expect((await backend.counts(normalizeQuery({ tags: { ünï: 'çödé' } }))).pending).toBe(2);
    });

    it('keeps a cancel request through keyed writes and through a write that changes nothing else', async () => {
      const backend = await open();
      await backend.heartbeat('live', 60_000, {});
      const running = makeRecord({ owner: 'live', status: 'running', attempt: 1, idempotencyKey: 'sticky' });
      await backend.write([running]);
      expect(await backend.cancel(running.id)).toBe('requested');
      const clean = { conflicts: [], fenced: [] };
      expect(await backend.write([{ ...running, progress: 10 }, makeRecord()])).toEqual(clean);
      expect(await backend.write([{ ...running, progress: 10 }])).toEqual(clean);
      expect(await backend.get(running.id)).toMatchObject({ progress: 10, cancelRequested: true });
      expect((await backend.heartbeat('live', 60_000, {})).cancelRequests).toEqual([running.id]);
      // Another owner's stale write is fenced and clears nothing.
      const stale = { ...running, owner: 'other', cancelRequested: false };
      expect((await backend.write([stale])).fenced).toEqual([running.id]);
      expect(await backend.get(running.id)).toMatchObject({ cancelRequested: true });
      await backend.write([{ ...running, status: 'cancelled', finishedAt: Date.now() }]);
      expect((await backend.heartbeat('live', 60_000, {})).cancelRequests).toEqual([]);
      // A manual retry takes the key back and starts afresh.
      const retry = {
        ...running,
        status: 'pending' as const,
        owner: null,
        attempt: 0,
        cancelRequested: false,
      };
      expect(await backend.write([retry])).toEqual(clean);
      expect(await backend.get(running.id)).toEqual(retry);
    });

    it('queues racing callers of one semaphore or token bucket on its counter row, without a deadlock', async () => {
      const [a, b] = await Promise.all([open(), open()]);
      await a.heartbeat('a', 60_000, {});
      await b.heartbeat('b', 60_000, {});
      const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);
      for (const key of ['q:1', 'q:2']) {
        const acquire = (i: number) => (i % 2 ? a : b).acquire(key, i % 2 ? 'a' : 'b', 1, 5);
        // Core names a queue's semaphore and token bucket alike: the bucket still starts full.
        const take = (i: number) => (i % 2 ? a : b).takeTokens(key, 1, { max: 5, perMs: 3_600_000 });
        expect(sum(await Promise.all(Array.from({ length: 16 }, (_, i) => acquire(i))))).toBe(5);
        expect(sum(await Promise.all(Array.from({ length: 16 }, (_, i) => take(i))))).toBe(5);
      }
      // Retries would hide a deadlock from the results: the server's record of its latest one must not be ours.
      const [status] = await sqlRows('SHOW ENGINE INNODB STATUS');
      const latest = /LATEST DETECTED DEADLOCK([\s\S]*?)\n-+\nTRANSACTIONS/.exec(String(status!.Status));
      expect(latest?.[1] ?? '').not.toContain(database.name);
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
