// The store's own ceiling for one durable task: one row written alone, by
// the raw driver, into a copy of Errand's table (same columns and indexes).
// PostgreSQL and MySQL: a single-row INSERT in autocommit from a pool;
// Redis: one HSET, pipelined on one connection; SQLite: one prepared INSERT,
// its own transaction. Callers keep as many in flight as they want.
import { rowMaker } from './columns.mjs';

/** Most connections a ceiling pool opens: the server's max_connections (100) is shared. */
export const MAX_CONNECTIONS = 64;

async function postgres(namespace, inFlight) {
  const pg = (await import('pg')).default;
  const { PG_URL } = await import('../services.mjs');
  const pool = new pg.Pool({ connectionString: PG_URL, max: Math.min(inFlight, MAX_CONNECTIONS) });
  pool.on('error', () => {});
  const table = `"${namespace}".raw_single`;
  await pool.query(`CREATE TABLE ${table} (LIKE "${namespace}".errand_tasks INCLUDING ALL)`);
  const { rows } = await pool.query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = 'raw_single' AND is_generated = 'NEVER' ORDER BY ordinal_position`,
    [namespace],
  );
  const columns = rows.map((row) => row.column_name);
  const toRow = rowMaker(columns, { booleanAsNumber: false });
  const text = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, k) => `$${k + 1}`).join(', ')})`;
  return {
    label: `pg: single-row INSERT, autocommit, prepared, a connection per write in flight (at most ${MAX_CONNECTIONS})`,
    insert: (record) => pool.query({ name: 'raw_single_insert', text, values: toRow(record) }),
    close: () => pool.end(),
  };
}

async function mysql(namespace, inFlight) {
  const driver = await import('mysql2/promise');
  const { mysqlUrlFor } = await import('../services.mjs');
  const pool = driver.createPool({
    uri: mysqlUrlFor(namespace),
    connectionLimit: Math.min(inFlight, MAX_CONNECTIONS),
  });
  await pool.query('CREATE TABLE raw_single LIKE errand_tasks');
  const [rows] = await pool.query(
    `SELECT column_name AS c FROM information_schema.columns
     WHERE table_schema = ? AND table_name = 'raw_single' AND extra NOT LIKE '%GENERATED%' ORDER BY ordinal_position`,
    [namespace],
  );
  const columns = rows.map((row) => row.c);
  const toRow = rowMaker(columns, { booleanAsNumber: true });
  const sql = `INSERT INTO raw_single (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
  return {
    label: `mysql2: single-row INSERT, autocommit, prepared (execute), a connection per write in flight (at most ${MAX_CONNECTIONS})`,
    insert: (record) => pool.execute(sql, toRow(record)),
    close: () => pool.end(),
  };
}

async function redis(namespace) {
  const { Redis } = await import('ioredis');
  const { REDIS_URL } = await import('../services.mjs');
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  await client.connect();
  const prefix = `{${namespace}}:raw:task:`;
  return {
    label: 'ioredis: one HSET per record (the fields Errand keeps), pipelined on one connection',
    insert: ({ id, name, status, createdAt, owner, ...rest }) =>
      client.hset(prefix + id, { name, status, createdAt, owner: owner ?? '', body: JSON.stringify(rest) }),
    async close() {
      client.disconnect();
    },
  };
}

async function sqlite(namespace) {
  const Database = (await import('better-sqlite3')).default;
  const { sqlitePathFor } = await import('../services.mjs');
  const db = new Database(sqlitePathFor(namespace));
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const schema = db
    .prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = 'errand_tasks' AND sql IS NOT NULL`)
    .all();
  db.exec(schema.map((row) => `${row.sql.replaceAll('errand_tasks', 'raw_single')};`).join('\n'));
  const columns = db
    .prepare(`SELECT name FROM pragma_table_xinfo('raw_single') WHERE hidden = 0`)
    .all()
    .map((row) => row.name);
  const insert = db.prepare(
    `INSERT INTO raw_single (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  );
  const toRow = rowMaker(columns, { booleanAsNumber: true });
  return {
    label: 'better-sqlite3: one prepared INSERT per transaction (autocommit), WAL, synchronous NORMAL',
    async insert(record) {
      insert.run(toRow(record));
    },
    async close() {
      db.close();
    },
  };
}

/** @type {Record<string, (namespace: string, inFlight: number) => Promise<{ label: string, insert(record: object): Promise<unknown>, close(): Promise<void> }>>} */
export const SINGLE_ROW_WRITERS = { postgres, mysql, redis, sqlite };
