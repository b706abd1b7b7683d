// The machine and server versions the report names.
import os from 'node:os';
import { MYSQL_URL, PG_URL, REDIS_URL } from './services.mjs';

async function safely(fn) {
  try {
    return await fn();
  } catch (error) {
    return `unknown (${error.message})`;
  }
}

export async function describeMachine() {
  const postgres = await safely(async () => {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      return `PostgreSQL ${(await client.query('SHOW server_version')).rows[0].server_version}`;
    } finally {
      await client.end();
    }
  });
  const mysql = await safely(async () => {
    const driver = await import('mysql2/promise');
    const conn = await driver.createConnection(MYSQL_URL);
    try {
      const [rows] = await conn.query('SELECT VERSION() AS v');
      return /mariadb/i.test(rows[0].v) ? `MariaDB ${rows[0].v.split('-')[0]}` : `MySQL ${rows[0].v}`;
    } finally {
      await conn.end();
    }
  });
  const redis = await safely(async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      return `Redis ${/redis_version:(\S+)/.exec(await client.info('server'))[1]}`;
    } finally {
      client.disconnect();
    }
  });
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    servers: [postgres, mysql, redis],
  };
}

/** Installed version of a package, read from its package.json under the nearest node_modules. */
export async function packageVersion(name) {
  const { readFile } = await import('node:fs/promises');
  let dir = new URL('../', import.meta.url);
  for (let depth = 0; depth < 4; depth++) {
    try {
      const text = await readFile(new URL(`node_modules/${name}/package.json`, dir), 'utf8');
      return JSON.parse(text).version;
    } catch {
      dir = new URL('../', dir);
    }
  }
  return 'not installed';
}
