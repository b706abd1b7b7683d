import { type BackendFailure, StoreCaller } from '@errand/core';
import {
  type AtomicOptions,
  type Procedure,
  runProcedure,
  type SqlDriver,
  type Statement,
  type StatementResult,
} from '@errand/sql';
import type { Pool, PoolConnection, PoolOptions, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { createPool } from 'mysql2/promise';

/** A mysql2 pool of either flavour; the callback one is wrapped with `.promise()`. */
export type AnyPool = Pool | { promise(): Pool };
type Opened = Set<{ destroy(): void }>;

export const asPromisePool = (pool: AnyPool): Pool =>
  'pool' in pool && pool.pool ? pool : (pool as { promise(): Pool }).promise();

/** A pool this package owns; `opened` follows its live connections (for `close()` to drop). */
export function createOwnPool(opened: Opened, timeout: number, options: PoolOptions, url?: string): Pool {
  // Never echoed: a malformed URL may hold a password.
  if (url !== undefined && !URL.canParse(url)) throw new Error('the connection URL is not a valid URL');
  const defaults = { connectionLimit: 10, enableKeepAlive: true, keepAliveInitialDelay: 10_000 };
  const pool = createPool({ ...defaults, connectTimeout: timeout, ...options, ...(url ? { uri: url } : {}) });
  pool.pool.on('connection', (connection) => {
    opened.add(connection);
    connection.once('end', () => opened.delete(connection));
  });
  return pool;
}

/** A connection of `pool`, or an error naming the target as `mysql://user@host:port/db`, never the password. */
export function connect(pool: Pool): Promise<PoolConnection> {
  return pool.getConnection().catch((error: Error) => {
    const config = (pool.pool as unknown as { config: { connectionConfig: Record<string, unknown> } }).config;
    const { socketPath, host, port, user = '', database = '' } = config.connectionConfig;
    // Node reports a refused dual-stack connect as an AggregateError with an empty message.
    const reason = error.message || (error as AggregateError).errors?.map((e) => e.message).join('; ');
    const target = `mysql://${user}@${socketPath ?? `${host}:${port}`}/${database}`;
    throw new Error(`cannot connect to ${target}: ${reason || error.name}`, { cause: error });
  });
}

const errno = (error: unknown) => (error as { errno?: number } | null)?.errno ?? 0;
// NULL in NOT NULL, row or packet too large, out of range, truncated, bad value or text, too long.
const REFUSED = new Set([1048, 1118, 1153, 1264, 1265, 1292, 1300, 1301, 1366, 1406]);
// Deadlock, lock wait timeout, MariaDB's snapshot check, a key taken between our read and our upsert.
const TRANSIENT = new Set([1213, 1205, 1020, 1062]);

const classify = (error: unknown): BackendFailure => (REFUSED.has(errno(error)) ? 'refused' : 'unavailable');
const isTransient = (error: unknown): boolean => TRANSIENT.has(errno(error));
export const storeCaller = (timeout: number) =>
  new StoreCaller({ backend: 'mysql', timeout, classify, isTransient });

export const refusal = (message: string, number: number, code: string): Error =>
  Object.assign(new Error(message), { errno: number, code });

/** Rows an `UPDATE` matched, changed or not, even on a pool without CLIENT_FOUND_ROWS. */
export function matchedRows(header: ResultSetHeader): number {
  const match = /Rows matched:\s*(\d+)/i.exec(header.info ?? '');
  return match ? Number(match[1]) : header.affectedRows;
}

/** What a statement gave back: its rows, the rows it matched, and the server's own account of a write. */
export type MysqlResult = StatementResult & Pick<ResultSetHeader, 'affectedRows' | 'info'>;

/** A procedure of this package: it reads the server's account of its writes too. */
export type MysqlProcedure<T> = Generator<Statement, T, MysqlResult>;

const bytes = (value: unknown): number =>
  Array.isArray(value)
    ? value.reduce((n: number, v) => n + bytes(v) + 1, 0)
    : Buffer.byteLength(String(value));

/** Broken, busy with a statement that timed out (mysql2 leaves it running), or closed by the server. */
function broken(error: unknown): boolean {
  const { fatal, code } = (error ?? {}) as { fatal?: boolean; code?: string };
  return fatal === true || code === 'PROTOCOL_SEQUENCE_TIMEOUT' || errno(error) === 1153;
}

/** One call's statements, each with its time limit; a connection that broke or timed out is destroyed. */
export class Db implements SqlDriver {
  constructor(
    readonly pool: Pool,
    readonly timeout: number,
    readonly connection: PoolConnection | null = null,
    readonly deadline = performance.now() + timeout,
    /** The server's `max_allowed_packet`: a statement whose values exceed it is refused before it is sent. */
    readonly packetBytes = Number.POSITIVE_INFINITY,
  ) {}

  async query<T = ResultSetHeader>(sql: string, values?: unknown[]): Promise<T> {
    const run = async (connection: PoolConnection) =>
      (await connection.query({ sql, values, timeout: this.timeout }))[0];
    return (this.connection ? run(this.connection) : this.#borrow(run, false)) as Promise<T>;
  }

  rows(sql: string, values?: unknown[]): Promise<RowDataPacket[]> {
    return this.query<RowDataPacket[]>(sql, values);
  }

  /** One statement: a read's rows, or the rows a write matched. Without values, mysql2 does not format the text. */
  async execute({ sql, values }: Statement): Promise<MysqlResult> {
    // The server would drop the connection, often before its own refusal reached us.
    if (values.reduce<number>((n, value) => n + bytes(value), 8192) > this.packetBytes)
      throw refusal('a statement is over max_allowed_packet', 1153, 'ER_NET_PACKET_TOO_LARGE');
    const result = await this.query<ResultSetHeader | RowDataPacket[]>(
      sql,
      values.length > 0 ? values : undefined,
    );
    if (Array.isArray(result)) return { rows: result, changes: 0, affectedRows: 0, info: '' };
    return {
      rows: [],
      changes: matchedRows(result),
      affectedRows: result.affectedRows,
      info: result.info ?? '',
    };
  }

  /** In one transaction; at READ COMMITTED when asked (no gap locks; each step reads what the last lock holder committed). */
  atomically<T>(procedure: Procedure<T> | MysqlProcedure<T>, options?: AtomicOptions): Promise<T> {
    const isolation = options?.readCommitted ? 'READ COMMITTED' : undefined;
    return this.transaction((tx) => tx.separately(procedure), isolation);
  }

  /** Statement after statement, each on a connection of the pool (or the transaction's). */
  separately<T>(procedure: Procedure<T> | MysqlProcedure<T>): Promise<T> {
    return runProcedure(procedure as MysqlProcedure<T>, (statement) => this.execute(statement));
  }

  /** `work` in one transaction; a `Db` on one connection is already in its caller's. */
  transaction<T>(work: (tx: Db) => Promise<T>, isolation?: 'READ COMMITTED'): Promise<T> {
    if (this.connection) return work(this);
    return this.#borrow(async (connection) => {
      const tx = new Db(this.pool, this.timeout, connection, this.deadline, this.packetBytes);
      // Without SESSION it sets the next transaction only: an application's connection keeps its default.
      if (isolation) await tx.query(`SET TRANSACTION ISOLATION LEVEL ${isolation}`);
      await tx.query('START TRANSACTION');
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    }, true);
  }

  async #borrow<T>(work: (connection: PoolConnection) => Promise<T>, transaction: boolean): Promise<T> {
    const connection = await this.pool.getConnection();
    let reusable = true;
    try {
      if (performance.now() > this.deadline) throw new Error('the call gave up before a connection was free');
      return await work(connection);
    } catch (error) {
      const rollback = () => connection.query({ sql: 'ROLLBACK', timeout: this.timeout }).then(() => true);
      reusable = !broken(error) && (!transaction || (await rollback().catch(() => false)));
      throw error;
    } finally {
      if (reusable) connection.release();
      else connection.destroy();
    }
  }
}
