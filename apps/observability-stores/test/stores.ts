import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MysqlBackend } from '@errand/backend-mysql';
import { PostgresBackend } from '@errand/backend-postgres';
import { RedisBackend } from '@errand/backend-redis';
import { SqliteBackend } from '@errand/backend-sqlite';
import type { SnapshotBackend } from '@errand/core';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';

/** One store of one test: backends onto it (as many instances as a test needs) and its raw content. */
export interface StoreUnderTest {
  backend(): SnapshotBackend;
  /** Everything the store holds, as the server or file has it (no decryption): rows as JSON, files as bytes. */
  raw(): Promise<string>;
  /**
   * Wipes what a store keeps of deleted or overwritten rows (SQLite leaves old
   * row images in free pages and the WAL until VACUUM); nothing elsewhere.
   */
  compact?(): Promise<void>;
  teardown(): Promise<void>;
}

export interface Target {
  name: string;
  /** Several processes may share it (the fleet tests need that). */
  shared: boolean;
  open(): Promise<StoreUnderTest>;
}

const POSTGRES_URL = process.env.ERRAND_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const unique = () => randomBytes(6).toString('hex');

async function postgres<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function mariadb<T>(url: string, work: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection(url);
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

export const sqlite: Target = {
  name: 'sqlite',
  shared: true,
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'errand-observe-sqlite-'));
    const path = join(dir, 'tasks.db');
    return {
      backend: () => new SqliteBackend({ path }),
      // The database file and its WAL, byte for byte: a plain value would show up in either.
      raw: async () =>
        [path, `${path}-wal`]
          .filter((file) => existsSync(file))
          .map((file) => readFileSync(file).toString('latin1'))
          .join('\n'),
      compact: async () => {
        const db = new Database(path);
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.exec('VACUUM');
        db.close();
      },
      teardown: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export const postgresTarget: Target = {
  name: 'postgres',
  shared: true,
  async open() {
    const schema = `errand_obs_${unique()}`;
    return {
      backend: () => new PostgresBackend(POSTGRES_URL, { schema }),
      raw: () =>
        postgres(async (client) => {
          const tables = await client.query<{ table_name: string }>(
            'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
            [schema],
          );
          const dumps = [];
          for (const { table_name } of tables.rows) {
            dumps.push(
              JSON.stringify((await client.query(`SELECT * FROM "${schema}"."${table_name}"`)).rows),
            );
          }
          return dumps.join('\n');
        }),
      teardown: () =>
        postgres(async (client) => void (await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))),
    };
  },
};

export const mysqlTarget: Target = {
  name: 'mysql (MariaDB)',
  shared: true,
  async open() {
    const name = `errand_obs_${unique()}`;
    await mariadb(MYSQL_URL, (c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`));
    const url = new URL(MYSQL_URL);
    url.pathname = `/${name}`;
    return {
      backend: () => new MysqlBackend(url.toString()),
      raw: () =>
        mariadb(url.toString(), async (c) => {
          const [tables] = await c.query<mysql.RowDataPacket[]>('SHOW TABLES');
          const dumps = [];
          for (const row of tables) {
            const [rows] = await c.query(`SELECT * FROM \`${Object.values(row)[0]}\``);
            dumps.push(JSON.stringify(rows));
          }
          return dumps.join('\n');
        }),
      teardown: () =>
        mariadb(MYSQL_URL, (c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``)).then(() => {}),
    };
  },
};

export const redisTarget: Target = {
  name: 'redis',
  shared: true,
  async open() {
    const prefix = `errand_obs_${unique()}:`;
    // The backend turns the prefix into a Cluster hash tag: `x:` keys are `{x}:...`.
    const pattern = `{${prefix.slice(0, -1)}}:*`;
    /** Every key under the prefix with its whole value, whatever its type. */
    const dump = async (redis: Redis): Promise<string[]> => {
      const out: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        for (const key of keys) {
          const type = await redis.type(key);
          const value =
            type === 'hash'
              ? await redis.hgetall(key)
              : type === 'zset'
                ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                : type === 'set'
                  ? await redis.smembers(key)
                  : type === 'list'
                    ? await redis.lrange(key, 0, -1)
                    : type === 'string'
                      ? await redis.get(key)
                      : type;
          out.push(`${key} ${JSON.stringify(value)}`);
        }
      } while (cursor !== '0');
      return out;
    };
    const withRedis = async <T>(work: (redis: Redis) => Promise<T>): Promise<T> => {
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        return await work(redis);
      } finally {
        redis.disconnect();
      }
    };
    return {
      backend: () => new RedisBackend(REDIS_URL, { prefix }),
      raw: () => withRedis(async (redis) => (await dump(redis)).join('\n')),
      teardown: () =>
        withRedis(async (redis) => {
          const keys = (await dump(redis)).map((line) => line.slice(0, line.indexOf(' ')));
          if (keys.length > 0) await redis.del(...keys);
        }),
    };
  },
};
