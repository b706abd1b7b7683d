import {
  type BackendContext,
  BackendError,
  type ClaimRequest,
  emptyCounts,
  holdsKey,
  type InstanceInfo,
  InvalidOptionError,
  InvalidStateError,
  type Logger,
  type NormalizedTaskQuery,
  SchemaVersionError,
  type SnapshotBackend,
  type StatusCounts,
  type TaskRecord,
  type TaskStatus,
  type WriteResult,
} from '@errand/core';
import pg from 'pg';
import { migrate } from './migrations/migrate.js';
import { isTransient, readableCause } from './pg-errors.js';
import { encodeRecords, rowToRecord, type TaskRow } from './row.js';
import { PostgresScheduleStore } from './schedule-store.js';
import { claimStatement } from './sql/claim.js';
import {
  heartbeatStatement,
  type InstanceRow,
  listInstancesStatement,
  NOW_STATEMENT,
  removeInstanceStatement,
} from './sql/instances.js';
import { type PreparedStatement, prepared } from './sql/prepared.js';
import { countsStatement, getStatement, queryStatement } from './sql/query.js';
import { type KeyedOutcome, writeStatement } from './sql/write.js';
import { type Tables, tableNames } from './tables.js';

/** Where the tables live: options of {@link PostgresBackend}. */
export interface PostgresBackendOptions {
  /** Schema holding the tables; created on first start when missing. Default `'public'`. */
  schema?: string;
  /** Prefix of every table and index name. Default `'errand_'`. */
  tablePrefix?: string;
}

/**
 * Where the backend connects: a connection string (`postgres://user:pass@host:5432/db`),
 * `pg` pool options, or `{ pool }`, an existing `pg.Pool` that the application
 * owns. A given pool is shared, never ended by {@link PostgresBackend.close}.
 * The object forms may carry the {@link PostgresBackendOptions} too, so that
 * one JSON object can describe the whole backend.
 */
export type PostgresConnection =
  | string
  | (pg.PoolConfig & PostgresBackendOptions)
  | ({ pool: pg.Pool } & PostgresBackendOptions);

/** A `write()` retries a statement hit by a transient error this many times before rejecting. */
const TRANSIENT_RETRIES = 4;
/** Rounds a `write()` spends on keyed records that keep losing races to other writers. */
const MAX_RACE_ROUNDS = 8;

// Applied only to pools this backend creates; a caller's own options win.
const POOL_DEFAULTS: pg.PoolConfig = {
  // pg waits forever for a connection by default: a black-holed host would hang start().
  connectionTimeoutMillis: 10_000,
  application_name: 'errand',
};

function definedOnly(options: PostgresBackendOptions): PostgresBackendOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

function takesKey(record: TaskRecord): boolean {
  return Boolean(record.idempotencyKey) && holdsKey(record.status);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A `SnapshotBackend` on PostgreSQL (12 or later) through `pg`.
 *
 * History, idempotency keys and leases are shared by every instance that
 * uses the same schema and prefix. `write()` is one statement per call (one
 * round trip, one transaction) in the common case; `claim()` is one
 * `FOR UPDATE SKIP LOCKED` statement. `open()` creates the tables on first
 * start under an advisory lock and refuses a store migrated by a newer
 * version of this package.
 *
 * ```ts
 * const backend = new PostgresBackend(process.env.DATABASE_URL!, { schema: 'jobs' });
 * const manager = new TaskManager({ backend });
 * ```
 */
export class PostgresBackend implements SnapshotBackend {
  readonly name = 'postgres';
  readonly #tables: Tables;
  /** Set when the application gave its pool; null when this backend creates (and ends) its own. */
  readonly #givenPool: pg.Pool | null;
  readonly #poolConfig: pg.PoolConfig;
  #pool: pg.Pool | null = null;
  #logger: Logger | null = null;
  readonly #statements: Record<'write' | 'claim' | 'heartbeat' | 'get', PreparedStatement>;
  /**
   * Storage of `@errand/scheduler` in the `<prefix>jobs` table. Present from
   * construction; its calls reject with `InvalidStateError` before `open()`,
   * like every other call.
   */
  readonly schedules: PostgresScheduleStore;

  /**
   * @param connection a connection string, pool options, or `{ pool }`.
   * @param options schema and table prefix; they win over the same keys in `connection`.
   */
  constructor(connection: PostgresConnection, options: PostgresBackendOptions = {}) {
    let where: PostgresBackendOptions = options;
    if (connection && typeof connection === 'object') {
      const { schema, tablePrefix, ...rest } = connection;
      where = { schema, tablePrefix, ...definedOnly(options) };
      connection = rest as PostgresConnection;
    }
    this.#tables = tableNames(where.schema ?? 'public', where.tablePrefix ?? 'errand_');
    if (typeof connection === 'string') {
      if (connection === '') throw new InvalidOptionError('PostgresBackend: the connection string is empty');
      this.#givenPool = null;
      this.#poolConfig = { ...POOL_DEFAULTS, connectionString: connection };
    } else if (connection && typeof connection === 'object' && 'pool' in connection) {
      if (!connection.pool || typeof connection.pool.query !== 'function') {
        throw new InvalidOptionError('PostgresBackend: `pool` must be a pg.Pool');
      }
      this.#givenPool = connection.pool;
      this.#poolConfig = {};
    } else if (connection && typeof connection === 'object') {
      this.#givenPool = null;
      this.#poolConfig = { ...POOL_DEFAULTS, ...connection };
    } else {
      throw new InvalidOptionError(
        'PostgresBackend: pass a connection string, pg pool options, or { pool } with an existing pg.Pool',
      );
    }
    const t = this.#tables;
    this.#statements = {
      write: prepared(writeStatement(t)),
      claim: prepared(claimStatement(t)),
      heartbeat: prepared(heartbeatStatement(t)),
      get: prepared(getStatement(t)),
    };
    this.schedules = new PostgresScheduleStore(t, {
      run: (operation, statement, values) => this.#run(operation, statement, values),
      transaction: (operation, body) => this.#transaction(operation, body),
      writeOn: (client, records) => this.#writeOn(client, records),
    });
  }

  /** Connects, then creates or migrates the tables. Rejects with a `BackendError` when the server cannot be reached or refuses the login. */
  async open(context: BackendContext): Promise<void> {
    this.#logger = context.logger;
    if (this.#pool) return;
    const pool = this.#givenPool ?? new pg.Pool(this.#poolConfig);
    pool.on('error', this.#onIdleError);
    try {
      const client = await pool.connect();
      // A checked-out client has no error listener of the pool's: without one, a
      // connection killed mid-migration would be an uncaught 'error' event.
      client.on('error', this.#onIdleError);
      let failure: Error | undefined;
      try {
        const found = await migrate(client, this.#tables);
        if (found === 0) {
          context.logger.info('postgres: created the Errand tables', { schema: this.#tables.schemaName });
        }
      } catch (error) {
        // A refused version leaves a healthy connection (the migration rolled back);
        // anything else may have broken it, so the pool discards it.
        if (!(error instanceof SchemaVersionError)) {
          failure = error instanceof Error ? error : new Error(String(error));
        }
        throw error;
      } finally {
        // A discarded client keeps the listener: its socket may still report errors.
        if (!failure) client.off('error', this.#onIdleError);
        client.release(failure);
      }
    } catch (error) {
      pool.off('error', this.#onIdleError);
      if (!this.#givenPool) await pool.end().catch(() => {});
      if (error instanceof SchemaVersionError) throw error;
      throw new BackendError('postgres', 'open', readableCause(error));
    }
    this.#pool = pool;
  }

  /** Ends the pool this backend created; a pool given as `{ pool }` is left open. */
  async close(): Promise<void> {
    const pool = this.#pool;
    if (!pool) return;
    this.#pool = null;
    if (this.#givenPool) {
      pool.off('error', this.#onIdleError);
      return;
    }
    try {
      await pool.end();
    } finally {
      pool.off('error', this.#onIdleError);
    }
  }

  async write(records: readonly TaskRecord[]): Promise<WriteResult> {
    return writeInRounds('write', records, (safe, keyed) => this.#writeRound(safe, keyed));
  }

  /**
   * `write()` on a client inside the caller's transaction: same rounds, same
   * statement. No statement is retried here: an error aborts the whole
   * transaction, which `#transaction()` retries whole instead.
   */
  async #writeOn(client: pg.PoolClient, records: readonly TaskRecord[]): Promise<void> {
    await writeInRounds('write', records, async (safe, keyed) => {
      const values = [encodeRecords(safe), encodeRecords(keyed)];
      const result = await client.query<KeyedOutcome>({ ...this.#statements.write, values });
      return result.rows;
    });
  }

  async #writeRound(safe: TaskRecord[], keyed: TaskRecord[]): Promise<KeyedOutcome[]> {
    const values = [encodeRecords(safe), encodeRecords(keyed)];
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.#query<KeyedOutcome>('write', this.#statements.write, values);
        return result.rows;
      } catch (error) {
        // The statement is its own transaction: when it fails nothing of it was applied,
        // so running it again is safe.
        if (attempt < TRANSIENT_RETRIES && isTransient(error)) {
          await sleep(5 * (attempt + 1) + Math.random() * 10);
          continue;
        }
        throw new BackendError('postgres', 'write', error);
      }
    }
  }

  async get(id: string): Promise<TaskRecord | null> {
    const result = await this.#run<TaskRow>('get', this.#statements.get, [id]);
    return result.rows[0] ? rowToRecord(result.rows[0]) : null;
  }

  async query(query: NormalizedTaskQuery): Promise<TaskRecord[]> {
    const statement = queryStatement(this.#tables, query);
    const result = await this.#run<TaskRow>('query', statement.text, statement.values);
    return result.rows.map(rowToRecord);
  }

  async counts(query: NormalizedTaskQuery): Promise<StatusCounts> {
    const statement = countsStatement(this.#tables, query);
    const result = await this.#run<{ status: TaskStatus; count: string }>(
      'counts',
      statement.text,
      statement.values,
    );
    const counts = emptyCounts();
    for (const row of result.rows) {
      if (row.status in counts) counts[row.status] = Number(row.count);
    }
    return counts;
  }

  async heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<void> {
    await this.#run('heartbeat', this.#statements.heartbeat, [
      instanceId,
      Math.round(ttlMs),
      JSON.stringify(meta ?? {}),
    ]);
  }

  async removeInstance(instanceId: string): Promise<void> {
    await this.#run('removeInstance', removeInstanceStatement(this.#tables), [instanceId]);
  }

  async instances(): Promise<InstanceInfo[]> {
    const result = await this.#run<InstanceRow>('instances', listInstancesStatement(this.#tables), []);
    return result.rows.map((row) => ({
      id: row.id,
      expiresAt: Number(row.expires_at),
      startedAt: Number(row.started_at),
      meta: row.meta ?? {},
    }));
  }

  async claim(request: ClaimRequest): Promise<TaskRecord[]> {
    if (request.names.length === 0 || request.limit < 1) return [];
    const result = await this.#run<TaskRow>('claim', this.#statements.claim, [
      request.instanceId,
      request.names,
      Math.floor(request.limit),
    ]);
    return result.rows.map(rowToRecord);
  }

  async now(): Promise<number> {
    const result = await this.#run<{ now: string }>('now', NOW_STATEMENT, []);
    return Number(result.rows[0]!.now);
  }

  /**
   * Runs `body` in one transaction on one pooled client: COMMIT when it
   * returns true, ROLLBACK when it returns false or throws. A transient
   * failure (deadlock, serialization, key race) rolled the whole transaction
   * back, so it is run again from BEGIN. Any other failure becomes a
   * `BackendError`; a client whose ROLLBACK fails is discarded by the pool.
   */
  async #transaction(operation: string, body: (client: pg.PoolClient) => Promise<boolean>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const pool = this.#pool;
      if (!pool) throw new InvalidStateError(`postgres backend: ${operation}() called before open()`);
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw new BackendError('postgres', operation, readableCause(error));
      }
      // As in open(): a checked-out client has no error listener of the pool's.
      client.on('error', this.#onIdleError);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const commit = await body(client);
        await client.query(commit ? 'COMMIT' : 'ROLLBACK');
        return commit;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        if (!broken && attempt < TRANSIENT_RETRIES && isTransient(error)) {
          await sleep(5 * (attempt + 1) + Math.random() * 10);
          continue;
        }
        if (error instanceof BackendError || error instanceof InvalidStateError) throw error;
        throw new BackendError('postgres', operation, error);
      } finally {
        // A discarded client keeps the listener: its socket may still report errors.
        if (!broken) client.off('error', this.#onIdleError);
        client.release(broken);
      }
    }
  }

  /** Runs one statement, turning any failure into a `BackendError` naming the operation. */
  async #run<Row extends pg.QueryResultRow>(
    operation: string,
    statement: string | PreparedStatement,
    values: unknown[],
  ): Promise<pg.QueryResult<Row>> {
    try {
      return await this.#query<Row>(operation, statement, values);
    } catch (error) {
      if (error instanceof InvalidStateError) throw error;
      throw new BackendError('postgres', operation, error);
    }
  }

  #query<Row extends pg.QueryResultRow>(
    operation: string,
    statement: string | PreparedStatement,
    values: unknown[],
  ): Promise<pg.QueryResult<Row>> {
    const pool = this.#pool;
    if (!pool) {
      return Promise.reject(new InvalidStateError(`postgres backend: ${operation}() called before open()`));
    }
    // pool.query, not a checked-out client: every call is a single statement, and
    // pool.query returns a broken connection to the pool as broken, so the next call
    // gets a fresh one after the server or a network hop dropped it.
    return pool.query<Row>(
      typeof statement === 'string' ? { text: statement, values } : { ...statement, values },
    );
  }

  // An arrow property so that the same function is added and removed.
  readonly #onIdleError = (error: Error): void => {
    this.#logger?.warn('postgres: a pooled connection failed; the next call reconnects', {
      error: error.message,
    });
  };
}

/** Runs one round of the write statement: the records of `$1` and of `$2`. */
type WriteRound = (safe: TaskRecord[], keyed: TaskRecord[]) => Promise<KeyedOutcome[]>;

/**
 * The whole of a `write()`, whatever runs its statements: the pool (one
 * implicit transaction per round) or a client inside a transaction.
 */
async function writeInRounds(
  operation: string,
  records: readonly TaskRecord[],
  round: WriteRound,
): Promise<WriteResult> {
  const conflicts: WriteResult['conflicts'] = [];
  if (records.length === 0) return { conflicts };
  // The last write of an id wins within a batch, as it would written one by one; one
  // statement cannot touch a row twice.
  const latest = new Map<string, TaskRecord>();
  for (const record of records) {
    latest.delete(record.id);
    latest.set(record.id, record);
  }
  let pending = [...latest.values()];
  let raceRounds = 0;
  while (pending.length > 0) {
    const { safe, keyed, deferred } = planRound(pending);
    const outcomes = await round(safe, keyed);
    const byId = new Map(keyed.map((record) => [record.id, record]));
    const unresolved: TaskRecord[] = [];
    for (const outcome of outcomes) {
      if (outcome.holder !== null) conflicts.push({ id: outcome.id, existingId: outcome.holder });
      else if (!outcome.settled) unresolved.push(byId.get(outcome.id)!);
    }
    if (unresolved.length > 0 && ++raceRounds > MAX_RACE_ROUNDS) {
      throw new BackendError(
        'postgres',
        operation,
        new Error(`${unresolved.length} keyed records kept racing other writers; try again`),
      );
    }
    pending = [...unresolved, ...deferred];
  }
  return { conflicts };
}

/**
 * Splits what is left of a batch into one statement's worth: every record
 * that takes no key, and at most one keyed record per key, none of whose
 * keys appears on a record of the first group. The rest wait for the next
 * round, which sees this one's effects (an earlier record of the batch
 * holding the key is then reported as the holder).
 */
function planRound(pending: TaskRecord[]): {
  safe: TaskRecord[];
  keyed: TaskRecord[];
  deferred: TaskRecord[];
} {
  const safe: TaskRecord[] = [];
  const keyed: TaskRecord[] = [];
  const deferred: TaskRecord[] = [];
  const busy = new Set<string>();
  for (const record of pending) {
    if (!takesKey(record)) {
      safe.push(record);
      if (record.idempotencyKey) busy.add(record.idempotencyKey);
    }
  }
  for (const record of pending) {
    if (!takesKey(record)) continue;
    const key = record.idempotencyKey!;
    if (busy.has(key)) {
      deferred.push(record);
    } else {
      busy.add(key);
      keyed.push(record);
    }
  }
  return { safe, keyed, deferred };
}
