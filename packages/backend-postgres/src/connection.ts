import { createHash } from 'node:crypto';
import * as core from '@errand/core';
import type * as sql from '@errand/sql';
import { runProcedure } from '@errand/sql';
import pg from 'pg';
import { parse } from 'pg-connection-string';

/** Where the tables live and how long a call may take: options of `PostgresBackend`. */
export interface PostgresBackendOptions {
  /** Schema holding the tables; created on first start when missing. Default `'public'`. */
  schema?: string;
  /** Prefix of every table and index name. Default `'errand_'`. */
  tablePrefix?: string;
  /** Time limit of one call in ms (default 5000); past it the call rejects with failure `'timeout'`. */
  operationTimeout?: number;
}

/**
 * A connection string (`postgres://user:pass@host:5432/db`), `pg` pool options, or `{ pool }`: a
 * `pg.Pool` the application owns, used as configured and never ended by `close()`. The object
 * forms may carry the {@link PostgresBackendOptions} too.
 */
export type PostgresConnection = string | (pg.PoolConfig & Options) | ({ pool: pg.Pool } & Options);
type Options = PostgresBackendOptions;

/** Runs one statement (text, or prepared `{ name, text }`) on the connection at hand. */
export type Query = (statement: string | pg.QueryConfig, values?: unknown[]) => Promise<pg.QueryResult>;

/** Runs one of `@errand/sql`'s statements on the connection at hand, prepared when its text repeats. */
function runner(query: Query): (statement: sql.Statement) => Promise<sql.StatementResult> {
  return ({ sql, values, prepared: named }) =>
    query(named ? prepared(sql) : sql, values).then((r) => ({ rows: r.rows, changes: r.rowCount ?? 0 }));
}

/** A connection held apart from the calls (for LISTEN), and how to let it go. */
export type Dedicated = { client: pg.Client; release(): Promise<void> };

const names = new Map<string, pg.QueryConfig>();
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 20);

/** Prepared once per connection; named after its text, so backends on several schemas can share a pool. */
const prepared = (text: string): pg.QueryConfig =>
  names.get(text) ?? names.set(text, { name: `errand_${sha1(text)}`, text }).get(text)!;

const sqlState = (error: unknown) => (error instanceof pg.DatabaseError ? (error.code ?? '') : null);
/** Deadlock, serialization failure, lock not available, and a key race that a new snapshot settles. */
const TRANSIENT = new Set(['40P01', '40001', '55P03', '23505']);
const isTransient = (error: unknown): boolean => TRANSIENT.has(sqlState(error) ?? '');

/** `refused`: the server rejected the data (22 data exception, 54 program limit, NOT NULL, CHECK). */
function classify(error: unknown) {
  const code = sqlState(error);
  if (code === null)
    return error instanceof Error && /timeout/i.test(error.message) ? 'timeout' : 'unavailable';
  return /^(22|54|23502|23514)/.test(code) ? 'refused' : code === '57014' ? 'timeout' : 'unavailable';
}

/** Runs every call: its time limit, transient errors run again, failures as `BackendError`. */
export const storeCaller = (timeout: number) =>
  new core.StoreCaller({ backend: 'postgres', timeout, classify, isTransient });

/** After `error` the connection is still usable: the server refused one statement, not the session. */
const healthyAfter = (error: unknown): boolean =>
  /^(22|23|40|42|54|55|57014)/.test(sqlState(error) ?? '') || error instanceof core.ErrandError;

type Settings = { schema: string; prefix: string; timeout: number; pool?: pg.Pool; config: pg.PoolConfig };

/**
 * The backend's settings: the application's pool, or options of one it creates, with defaults that
 * make the driver give a stalled socket up too (the next call gets a fresh one) and the server end
 * what a vanished client left running or holding locks.
 */
export function settings(connection: PostgresConnection, options: PostgresBackendOptions): Settings {
  const invalid = (message: string) => new core.InvalidOptionError(`PostgresBackend: ${message}`);
  if (!connection || !['string', 'object'].includes(typeof connection))
    throw invalid('pass a connection string, pg pool options, or { pool } with an existing pg.Pool');
  const { schema, tablePrefix, operationTimeout, ...source } =
    typeof connection === 'string' ? { connectionString: connection } : connection;
  const prefix = options.tablePrefix ?? tablePrefix ?? 'errand_';
  const where = { schema: options.schema ?? schema ?? 'public', prefix };
  const timeout = core.resolveOperationTimeout(
    options.operationTimeout ?? operationTimeout,
    'PostgresBackend',
  );
  if ('pool' in source) {
    if (typeof source.pool?.query === 'function') return { ...where, timeout, pool: source.pool, config: {} };
    throw invalid('`pool` must be a pg.Pool');
  }
  try {
    if (source.connectionString !== undefined) parse(source.connectionString);
  } catch {
    throw invalid('the connection string is not a valid postgres:// URL'); // not echoed: may hold a password
  }
  const config: pg.PoolConfig = { application_name: 'errand', keepAlive: true, query_timeout: timeout };
  config.connectionTimeoutMillis = timeout;
  config.statement_timeout = config.idle_in_transaction_session_timeout = timeout + 1000;
  return { ...where, timeout, config: { ...config, ...source } };
}

/** The backend's connections, over its own `pg.Pool` (ended by `close()`) or the application's. */
export class PostgresPool implements sql.SqlDriver {
  /** Connections of an owned pool, for `close()` to cut those a stalled call holds. */
  readonly #clients = new Set<pg.PoolClient>();

  constructor(
    readonly pool: pg.Pool,
    readonly owned: boolean,
    readonly logger: core.Logger,
  ) {
    pool.on('error', this.#onIdleError);
    if (owned) pool.on('connect', (c) => this.#clients.add(c)).on('remove', (c) => this.#clients.delete(c));
  }

  readonly query: Query = (statement, values) => this.session((query) => query(statement, values));

  atomically<T>(procedure: sql.Procedure<T>): Promise<T> {
    return this.transaction((query) => runProcedure(procedure, runner(query)));
  }

  /** On one connection, with no transaction: each statement commits on its own. */
  separately<T>(procedure: sql.Procedure<T>): Promise<T> {
    return this.session((query) => runProcedure(procedure, runner(query)));
  }

  execute(statement: sql.Statement): Promise<sql.StatementResult> {
    return runner(this.query)(statement);
  }

  /** `work` between BEGIN and COMMIT on one connection; rolled back when it throws. */
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T> {
    return this.session(async (query) => {
      await query('BEGIN');
      try {
        const result = await work(query);
        await query('COMMIT');
        return result;
      } catch (error) {
        // Otherwise the connection is discarded, which ends the transaction as well.
        if (healthyAfter(error)) await query('ROLLBACK');
        throw error;
      }
    });
  }

  /** `work` on one connection; unlike `pool.query`, a refused batch or a deadlock keeps it. */
  async session<T>(work: (query: Query) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => Promise.reject(readable(error)));
    let broken = false;
    // Without a listener, a socket error between two statements would be an uncaught 'error' event
    // (the pool drops a connection that failed so).
    client.on('error', ignore);
    try {
      return await work((statement, values) =>
        client.query(typeof statement === 'string' ? { text: statement, values } : { ...statement, values }),
      );
    } catch (error) {
      broken = !healthyAfter(error);
      throw error;
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }

  /**
   * A connection outside the calls' rotation: a new client with the owned pool's options, or one held
   * from the application's pool (destroyed on release, so its LISTEN never reaches another user).
   * Letting it go takes at most `timeout` ms, even on a stalled socket.
   */
  async dedicated(timeout: number): Promise<Dedicated> {
    if (!this.owned) {
      const held = await this.pool.connect().catch((error: unknown) => Promise.reject(readable(error)));
      return { client: held, release: async () => held.release(true) };
    }
    const client = new pg.Client(this.pool.options).on('error', ignore); // a failed connect rejects
    const release = () => settles(client.end(), timeout).then(() => void client.connection.stream.destroy());
    await client.connect().catch((error: unknown) => release().then(() => Promise.reject(readable(error))));
    return { client, release };
  }

  /** Ends an owned pool within `timeout` ms: `pool.end()` waits for connections a stalled call holds, so they are cut. */
  async close(timeout: number): Promise<void> {
    if (!this.owned) return void this.pool.off('error', this.#onIdleError);
    if (!(await settles(this.pool.end(), timeout)))
      for (const client of this.#clients) (client as unknown as pg.Client).connection.stream.destroy();
  }

  readonly #onIdleError = (error: Error): void =>
    this.logger.warn('postgres: a pooled connection failed; the next call reconnects', {
      error: core.maskSecrets(error.message),
    });
}

function ignore(): void {}

/** Whether `work` settles (either way) within `ms`. */
function settles(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  return Promise.race([work.then(yes, yes), late]).finally(() => clearTimeout(timer));
}

const yes = () => true;

/** Connecting to `localhost` can fail with an `AggregateError` whose own message is empty. */
function readable(error: unknown): unknown {
  if (!(error instanceof AggregateError) || error.message !== '') return error;
  const detail = error.errors.map((part) => (part instanceof Error ? part.message : String(part))).join('; ');
  return new Error(detail || 'connection failed', { cause: error });
}
