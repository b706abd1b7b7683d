// Connection URLs of the local services and the per-run namespace (schema,
// database, key prefix, temp folder) that a child uses and the parent drops.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_URL = process.env.ERRAND_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = process.env.ERRAND_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** A fresh name, safe as a PostgreSQL schema, a MySQL database and a Redis key prefix. */
export function newNamespace() {
  return `bench_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** The MySQL URL pointing at the namespace's own database. */
export function mysqlUrlFor(namespace) {
  const url = new URL(MYSQL_URL);
  url.pathname = `/${namespace}`;
  return url.href;
}

/** The SQLite file of a namespace. */
export function sqlitePathFor(namespace) {
  return join(tmpdir(), namespace, 'tasks.db');
}

/**
 * Creates what a namespace needs before a child runs (the MySQL database:
 * the backend expects it to exist).
 * @param {string} namespace
 */
export async function prepareNamespace(namespace) {
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection(MYSQL_URL);
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${namespace}\``);
  } finally {
    await conn.end();
  }
}

/**
 * Drops everything a run created under its namespace, on every service,
 * whether the child finished, failed or was killed. Never fails the run.
 * @param {string} namespace
 * @returns {Promise<string[]>} the errors met, if any
 */
export async function dropNamespace(namespace) {
  const errors = [];
  const attempt = async (what, fn) => {
    try {
      await fn();
    } catch (error) {
      errors.push(`${what}: ${error.message}`);
    }
  };
  // The four services are independent: drop on all of them at once.
  await Promise.all([
    attempt('postgres', async () => {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${namespace}" CASCADE`);
      } finally {
        await client.end();
      }
    }),
    attempt('mysql', async () => {
      const mysql = await import('mysql2/promise');
      const conn = await mysql.createConnection(MYSQL_URL);
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${namespace}\``);
      } finally {
        await conn.end();
      }
    }),
    attempt('redis', async () => {
      const { Redis } = await import('ioredis');
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `*${namespace}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    }),
    attempt('sqlite', () => rm(join(tmpdir(), namespace), { recursive: true, force: true })),
  ]);
  return errors;
}
