import type { PurgeRequest, QueueOverride, QueueOverridePatch } from '@errand/core';
import { Params, type SqlDialect, type Statement } from './dialect.js';
import { text } from './rows.js';
import { claimableSql, FINISHED_SQL } from './statuses.js';

/** Tables of flow control (created by each store's migration 3). */
export interface FlowTables {
  tasks: string;
  instances: string;
  /** name, paused, concurrency, global_concurrency, updated_at */
  queues: string;
  /** key, value, at: token buckets, and the row a semaphore's key is locked by */
  counters: string;
  /** key, holder, units */
  semaphores: string;
  /** name, holder, expires_at */
  locks: string;
}

const OVERRIDE_COLUMNS = {
  paused: 'paused',
  concurrency: 'concurrency',
  globalConcurrency: 'global_concurrency',
} as const;

/** Every queue override, for the heartbeat's reply. */
export function selectOverrides(t: FlowTables): Statement {
  return {
    sql: `SELECT name, paused, concurrency, global_concurrency, updated_at FROM ${t.queues}`,
    values: [],
  };
}

/** A queue override row as the driver returns it, as core's shape. */
export function overrideFromRow(row: Record<string, unknown>): QueueOverride {
  const number = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    name: text(row.name),
    paused:
      row.paused === null || row.paused === undefined
        ? null
        : row.paused === true || Number(row.paused) === 1,
    concurrency: number(row.concurrency),
    globalConcurrency: number(row.global_concurrency),
    updatedAt: Number(row.updated_at),
  };
}

/**
 * `setQueueOverride()` as three statements for one transaction: the
 * upsert of the given fields, the deletion of an override left empty, and
 * the read of what is stored.
 */
export function overrideStatements(
  t: FlowTables,
  name: string,
  patch: QueueOverridePatch,
  dialect: SqlDialect,
): { upsert: Statement; deleteEmpty: Statement; read: Statement } {
  const params = new Params(dialect);
  const fields = (Object.keys(OVERRIDE_COLUMNS) as Array<keyof typeof OVERRIDE_COLUMNS>).filter(
    (f) => patch[f] !== undefined,
  );
  const columns = ['name', ...fields.map((f) => OVERRIDE_COLUMNS[f]), 'updated_at'];
  const values = [
    params.add(name),
    ...fields.map((f) => {
      const value = patch[f];
      return value === null ? 'NULL' : typeof value === 'boolean' ? dialect.bool(value) : params.add(value);
    }),
    dialect.now,
  ];
  const sets = [...fields.map((f) => OVERRIDE_COLUMNS[f]), 'updated_at'].map(
    (c) => `${c} = ${dialect.incoming(c)}`,
  );
  const one = (sql: string) => {
    const p = new Params(dialect);
    return { sql: sql.replace('?name', p.add(name)), values: p.values };
  };
  return {
    upsert: {
      sql: `INSERT INTO ${t.queues} (${columns.join(', ')}) VALUES (${values.join(', ')}) ${dialect.onConflict(['name'], sets)}`,
      values: params.values,
    },
    deleteEmpty: one(
      `DELETE FROM ${t.queues} WHERE name = ?name AND paused IS NULL AND concurrency IS NULL AND global_concurrency IS NULL`,
    ),
    read: one(
      `SELECT name, paused, concurrency, global_concurrency, updated_at FROM ${t.queues} WHERE name = ?name`,
    ),
  };
}

/**
 * The counter row of `key`, locked for the rest of the transaction (created
 * when missing): token buckets live in it, and a semaphore's callers queue
 * on it. SQLite locks the whole store with its write transaction instead.
 */
export function lockCounter(t: FlowTables, key: string, initial: number, dialect: SqlDialect): Statement[] {
  const insert = new Params(dialect);
  const read = new Params(dialect);
  const keyColumn = dialect.name === 'mysql' ? '`key`' : 'key';
  // MySQL: INSERT IGNORE share-locks an existing row, and callers that then upgrade that lock with FOR
  // UPDATE deadlock on each other; ON DUPLICATE KEY UPDATE locks it exclusively at once, so they queue.
  const keep =
    dialect.name === 'mysql'
      ? ` ON DUPLICATE KEY UPDATE ${keyColumn} = ${keyColumn}`
      : ' ON CONFLICT DO NOTHING';
  return [
    {
      sql: `INSERT INTO ${t.counters} (${keyColumn}, value, at) VALUES (${insert.add(key)}, ${insert.add(initial)}, ${dialect.now})${keep}`,
      values: insert.values,
    },
    {
      sql: `SELECT value, at, ${dialect.now} AS now FROM ${t.counters} WHERE ${keyColumn} = ${read.add(key)}${dialect.forUpdate}`,
      values: read.values,
    },
  ];
}

/** Writes a token bucket back (inside the transaction that locked it). */
export function writeCounter(
  t: FlowTables,
  key: string,
  value: number,
  at: number,
  dialect: SqlDialect,
): Statement {
  const p = new Params(dialect);
  const keyColumn = dialect.name === 'mysql' ? '`key`' : 'key';
  return {
    sql: `UPDATE ${t.counters} SET value = ${p.add(value)}, at = ${p.add(at)} WHERE ${keyColumn} = ${p.add(key)}`,
    values: p.values,
  };
}

/** A token bucket refilled to `now` and `want` taken from it: what to store, and what was granted. */
export function takeFromBucket(
  stored: { tokens: number; at: number },
  now: number,
  want: number,
  rate: { max: number; perMs: number },
): { tokens: number; taken: number } {
  const tokens = Math.min(rate.max, stored.tokens + (Math.max(0, now - stored.at) * rate.max) / rate.perMs);
  const taken = Math.max(0, Math.min(want, Math.floor(tokens)));
  return { tokens: tokens - taken, taken };
}

/** Semaphore statements for the transaction that locked the key's counter row. */
export function semaphoreStatements(t: FlowTables, key: string, holder: string, dialect: SqlDialect) {
  const live = `EXISTS (SELECT 1 FROM ${t.instances} i WHERE i.id = s.holder AND i.expires_at > ${dialect.now})`;
  const keyColumn = dialect.name === 'mysql' ? '`key`' : 'key';
  const bind = (sql: (p: Params) => string): Statement => {
    const p = new Params(dialect);
    return { sql: sql(p), values: p.values };
  };
  return {
    /** Units held by live holders. */
    used: bind(
      (p) =>
        `SELECT COALESCE(SUM(s.units), 0) AS used FROM ${t.semaphores} s WHERE s.${keyColumn} = ${p.add(key)} AND ${live}`,
    ),
    /** Units of dead holders are freed by their death. */
    dropDead: bind(
      (p) =>
        `DELETE FROM ${t.semaphores} WHERE ${keyColumn} = ${p.add(key)} AND NOT EXISTS (SELECT 1 FROM ${t.instances} i WHERE i.id = ${t.semaphores}.holder AND i.expires_at > ${dialect.now})`,
    ),
    add: (units: number) =>
      bind(
        (p) =>
          `INSERT INTO ${t.semaphores} (${keyColumn}, holder, units) VALUES (${p.add(key)}, ${p.add(holder)}, ${p.add(units)}) ${dialect.onConflict([keyColumn, 'holder'], [`units = ${t.semaphores}.units + ${dialect.incoming('units')}`])}`,
      ),
    release: (units: number) =>
      bind(
        (p) =>
          `UPDATE ${t.semaphores} SET units = units - ${p.add(units)} WHERE ${keyColumn} = ${p.add(key)} AND holder = ${p.add(holder)}`,
      ),
    dropEmpty: bind(
      (p) =>
        `DELETE FROM ${t.semaphores} WHERE ${keyColumn} = ${p.add(key)} AND holder = ${p.add(holder)} AND units <= 0`,
    ),
  };
}

/**
 * `purge()`: up to `limit` finished records of one status finished before a
 * time, oldest first, never an unfinished one. MySQL deletes with ORDER BY
 * and LIMIT itself; the others pick the ids in a subquery. Ties go by id, so
 * the rows a batch deletes are the same wherever the statement runs again
 * (MySQL's statement-based binlog replays it on replicas).
 */
export function purgeStatement(t: FlowTables, request: PurgeRequest, dialect: SqlDialect): Statement {
  const p = new Params(dialect);
  const conditions = [
    `status = ${p.add(request.status)}`,
    `status IN ${FINISHED_SQL}`,
    // An interrupted task waiting for takeover (requeueOnInterrupt) is not finished yet.
    `NOT ${claimableSql(dialect)}`,
    `finished_at < ${dialect.time(p.add(Math.ceil(request.finishedBefore)))}`,
  ];
  if (request.queues !== null) conditions.push(dialect.inList('queue', request.queues, p));
  else if (request.excludeQueues.length > 0)
    conditions.push(`NOT ${dialect.inList('queue', request.excludeQueues, p)}`);
  const where = conditions.join(' AND ');
  const limit = p.add(request.limit);
  if (dialect.name === 'mysql') {
    return {
      sql: `DELETE FROM ${t.tasks} WHERE ${where} ORDER BY finished_at, id LIMIT ${limit}`,
      values: p.values,
    };
  }
  return {
    sql: `DELETE FROM ${t.tasks} WHERE id IN (SELECT id FROM ${t.tasks} WHERE ${where} ORDER BY finished_at, id LIMIT ${limit})`,
    values: p.values,
  };
}

/**
 * `tryLock()`: takes or renews the lease in one statement; the lease then
 * belongs to whoever `readLock` names. A holder's renewal and an expired
 * lease's takeover both pass; a live lease of another holder does not.
 */
export function lockStatements(
  t: FlowTables,
  name: string,
  holder: string,
  ttlMs: number,
  dialect: SqlDialect,
) {
  const p = new Params(dialect);
  // Bound in the order the placeholders appear: `?` dialects number them by position.
  const values = `(${p.add(name)}, ${p.add(holder)}, ${dialect.now} + ${dialect.time(p.add(ttlMs))})`;
  const mayTake = `${t.locks}.holder = ${dialect.incoming('holder')} OR ${t.locks}.expires_at <= ${dialect.now}`;
  const update =
    dialect.name === 'mysql'
      ? // MySQL assigns left to right: decide on expires_at while holder is still the old one.
        `ON DUPLICATE KEY UPDATE expires_at = IF(${mayTake}, VALUES(expires_at), expires_at), holder = IF(expires_at = VALUES(expires_at), VALUES(holder), holder)`
      : `ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at WHERE ${mayTake}`;
  const read = new Params(dialect);
  return {
    take: {
      sql: `INSERT INTO ${t.locks} (name, holder, expires_at) VALUES ${values} ${update}`,
      values: p.values,
    },
    read: { sql: `SELECT holder FROM ${t.locks} WHERE name = ${read.add(name)}`, values: read.values },
  };
}
