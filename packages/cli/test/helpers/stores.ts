import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SnapshotBackend, silentLogger } from '@errand/core';

/** One isolated store of one kind: its own file, schema, table prefix or key prefix. */
export interface TestStore {
  kind: 'sqlite' | 'postgres' | 'mysql' | 'redis';
  /** `--store` and friends, as a user types them. */
  cliArgs: string[];
  /** The worker fixture's environment for the same store. */
  workerEnv: NodeJS.ProcessEnv;
  /** A backend on the store, for the test's own reads and set-ups. */
  open(): Promise<SnapshotBackend>;
  drop(): Promise<void>;
}

const PG_URL = process.env.ERRAND_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.ERRAND_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const REDIS_URL = process.env.ERRAND_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const unique = () => `cli_${randomBytes(4).toString('hex')}`;

async function opened(backend: SnapshotBackend): Promise<SnapshotBackend> {
  await backend.open({ logger: silentLogger });
  return backend;
}

export function sqliteStore(): TestStore {
  const dir = mkdtempSync(join(tmpdir(), 'errand-cli-'));
  const path = join(dir, 'tasks.db');
  return {
    kind: 'sqlite',
    cliArgs: ['--store', `sqlite:${path}`],
    workerEnv: { STORE_KIND: 'sqlite', STORE_PATH: path },
    async open() {
      const { SqliteBackend } = await import('@errand/backend-sqlite');
      return opened(new SqliteBackend({ path }));
    },
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresStore(): TestStore {
  const schema = unique();
  return {
    kind: 'postgres',
    cliArgs: ['--store', PG_URL, '--schema', schema],
    workerEnv: { STORE_KIND: 'postgres', STORE_URL: PG_URL, STORE_SCHEMA: schema },
    async open() {
      const { PostgresBackend } = await import('@errand/backend-postgres');
      return opened(new PostgresBackend(PG_URL, { schema }));
    },
    async drop() {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

export function mysqlStore(): TestStore {
  const prefix = `${unique()}_`;
  return {
    kind: 'mysql',
    cliArgs: ['--store', MYSQL_URL, '--prefix', prefix],
    workerEnv: { STORE_KIND: 'mysql', STORE_URL: MYSQL_URL, STORE_PREFIX: prefix },
    async open() {
      const { MysqlBackend } = await import('@errand/backend-mysql');
      return opened(new MysqlBackend({ url: MYSQL_URL, tablePrefix: prefix }));
    },
    async drop() {
      const mysql = await import('mysql2/promise');
      const connection = await mysql.createConnection(MYSQL_URL);
      const [rows] = await connection.query(
        'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?',
        [`${prefix}%`],
      );
      for (const { t } of rows as Array<{ t: string }>)
        await connection.query(`DROP TABLE IF EXISTS \`${t}\``);
      await connection.end();
    },
  };
}

export function redisStore(): TestStore {
  const prefix = `${unique()}:`;
  return {
    kind: 'redis',
    cliArgs: ['--store', REDIS_URL, '--prefix', prefix],
    workerEnv: { STORE_KIND: 'redis', STORE_URL: REDIS_URL, STORE_PREFIX: prefix },
    async open() {
      const { RedisBackend } = await import('@errand/backend-redis');
      return opened(new RedisBackend(REDIS_URL, { prefix }));
    },
    async drop() {
      const { Redis } = await import('ioredis');
      const client = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
      await client.quit();
    },
  };
}
