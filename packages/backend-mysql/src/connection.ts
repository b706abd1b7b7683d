import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';

/** A mysql2 pool of either flavour; the callback one is wrapped with `.promise()`. */
export type AnyPool = Pool | { promise(): Pool };

export function asPromisePool(pool: AnyPool): Pool {
  // A promise pool carries its callback pool as `.pool`; a callback pool has none.
  return 'pool' in pool && pool.pool ? (pool as Pool) : (pool as { promise(): Pool }).promise();
}

/** Defaults for a pool this package creates; the application's options win. */
const POOL_DEFAULTS: PoolOptions = {
  connectionLimit: 10,
  enableKeepAlive: true,
  keepAliveInitialDelay: 10_000,
  connectTimeout: 10_000,
};

/**
 * Creates the pool for a URL or driver options. A malformed URL is reported
 * without echoing it: it may hold a password.
 */
export function createOwnPool(url: string | undefined, options: PoolOptions): Pool {
  if (url !== undefined) {
    try {
      new URL(url);
    } catch {
      throw new Error(
        'the connection URL is not a valid URL (expected mysql://user:password@host:port/database)',
      );
    }
  }
  return createPool({ ...POOL_DEFAULTS, ...options, ...(url === undefined ? {} : { uri: url }) });
}

/** `START TRANSACTION` ... `COMMIT` on one pooled connection; rolls back on error. */
export async function inTransaction<T>(
  pool: Pool,
  work: (connection: PoolConnection) => Promise<T>,
  isolation?: 'READ COMMITTED',
): Promise<T> {
  const connection = await pool.getConnection();
  try {
    // Without SESSION this applies to the next transaction only, so an
    // application's pooled connection keeps its own default afterwards.
    if (isolation) await connection.query(`SET TRANSACTION ISOLATION LEVEL ${isolation}`);
    await connection.query('START TRANSACTION');
    const result = await work(connection);
    await connection.query('COMMIT');
    connection.release();
    return result;
  } catch (error) {
    await discard(connection);
    throw error;
  }
}

/** Rolls back and returns the connection, or drops it when it is broken. */
async function discard(connection: PoolConnection): Promise<void> {
  try {
    await connection.query('ROLLBACK');
    connection.release();
  } catch {
    connection.destroy();
  }
}

/** Error numbers after which a whole transaction may simply be run again. */
const RETRYABLE_ERRNOS = new Set([
  1213, // ER_LOCK_DEADLOCK: InnoDB rolled the transaction back
  1020, // ER_CHECKREAD: MariaDB's snapshot isolation saw a concurrent change
]);

export function isRetryable(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' && RETRYABLE_ERRNOS.has(errno);
}
