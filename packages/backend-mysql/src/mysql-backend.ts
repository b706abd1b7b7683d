import {
  type BackendContext,
  BackendError,
  type ClaimRequest,
  emptyCounts,
  type InstanceInfo,
  type Logger,
  type NormalizedTaskQuery,
  type ScheduleStore,
  SchemaVersionError,
  type SnapshotBackend,
  type StatusCounts,
  type TaskRecord,
  type TaskStatus,
  type WriteResult,
} from '@errand/core';
import type { Pool, PoolOptions, RowDataPacket } from 'mysql2/promise';
import { type AnyPool, asPromisePool, createOwnPool } from './connection.js';
import { migrate } from './migrate.js';
import { rowToRecord, text } from './row.js';
import { MysqlScheduleStore } from './schedule-store.js';
import { claimRecords } from './sql/claim.js';
import { deleteInstance, SELECT_NOW, selectInstances, upsertHeartbeat } from './sql/instances.js';
import { countByStatus, selectById, selectPage } from './sql/query.js';
import { writeRecords } from './sql/write.js';
import { type Tables, tablesFor } from './tables.js';

/** Options every form of {@link MysqlBackend} construction accepts. */
export interface MysqlBackendCommonOptions {
  /**
   * Prepended to the table names (`<prefix>tasks`, `<prefix>instances`,
   * `<prefix>meta`, `<prefix>jobs`). Letters, digits and `_`, at most 40. Default `errand_`.
   */
  tablePrefix?: string;
}

/**
 * Connect with a URL and/or mysql2 pool options; the backend creates the
 * pool and ends it in `close()`.
 */
export interface MysqlConnectOptions extends Omit<PoolOptions, 'pool'>, MysqlBackendCommonOptions {
  /** `mysql://user:password@host:3306/database`; its parts win over the other options. */
  url?: string;
}

/**
 * Use a pool the application owns (mysql2's promise pool, or its callback
 * pool). The backend never ends it.
 */
export interface MysqlExistingPoolOptions extends MysqlBackendCommonOptions {
  pool: AnyPool;
}

export type MysqlBackendOptions = MysqlConnectOptions | MysqlExistingPoolOptions;

/** Statement budget, as a share of the server's `max_allowed_packet` (escaping and UTF-8 may triple a string). */
const PACKET_SHARE = 4;
const MAX_STATEMENT_BYTES = 8 * 1024 * 1024;
const MIN_STATEMENT_BYTES = 64 * 1024;

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Errand persistence on MySQL 8 or MariaDB 10.6+ (through mysql2): shared
 * history, idempotency keys enforced by a unique index, `SKIP LOCKED` claims
 * and heartbeat-based takeover.
 *
 * ```ts
 * const backend = new MysqlBackend('mysql://errand:secret@db:3306/app');
 * const manager = new TaskManager({ backend });
 * ```
 */
export class MysqlBackend implements SnapshotBackend {
  readonly name = 'mysql';
  readonly #tables: Tables;
  readonly #given: Pool | null;
  readonly #connect: { url: string | undefined; options: PoolOptions } | null;
  #pool: Pool | null = null;
  #maxStatementBytes = MIN_STATEMENT_BYTES;
  #logger: Logger = silentLogger;
  /**
   * Jobs of `@errand/scheduler` (the `<prefix>jobs` table), on this
   * backend's pool: usable once `open()` resolved. `claimTick` stores its
   * tasks with the statements of `write()`, in the same transaction.
   */
  readonly schedules: ScheduleStore;

  /**
   * @param options a `mysql://` URL, mysql2 pool options (with an optional
   * `url`), or `{ pool }` to use the application's pool; plus `tablePrefix`.
   */
  constructor(options: string | MysqlBackendOptions) {
    const resolved: MysqlBackendOptions = typeof options === 'string' ? { url: options } : options;
    this.#tables = tablesFor(resolved.tablePrefix ?? 'errand_');
    if ('pool' in resolved && resolved.pool) {
      this.#given = asPromisePool(resolved.pool);
      this.#connect = null;
    } else {
      const { url, tablePrefix: _prefix, ...driver } = resolved as MysqlConnectOptions;
      this.#given = null;
      this.#connect = { url, options: driver };
    }
    this.schedules = new MysqlScheduleStore({
      tables: this.#tables,
      call: (operation, work) => this.#call(operation, work),
      maxStatementBytes: () => this.#maxStatementBytes,
    });
  }

  /** The table names in use, for tools and tests. */
  get tables(): { tasks: string; instances: string; meta: string; jobs: string } {
    const { prefix } = this.#tables;
    return {
      tasks: `${prefix}tasks`,
      instances: `${prefix}instances`,
      meta: `${prefix}meta`,
      jobs: `${prefix}jobs`,
    };
  }

  async open(context?: BackendContext): Promise<void> {
    this.#logger = context?.logger ?? silentLogger;
    if (this.#pool) return;
    let pool: Pool | null = null;
    try {
      pool = this.#given ?? createOwnPool(this.#connect!.url, this.#connect!.options);
      const connection = await pool.getConnection().catch((error: unknown) => {
        throw new Error(`cannot connect to ${describeTarget(pool!)}: ${describeError(error)}`, {
          cause: error,
        });
      });
      try {
        const info = await migrate(connection, this.#tables);
        connection.release();
        this.#maxStatementBytes = Math.min(
          MAX_STATEMENT_BYTES,
          Math.max(MIN_STATEMENT_BYTES, Math.floor(info.maxAllowedPacket / PACKET_SHARE)),
        );
        this.#logger.debug('mysql backend opened', {
          server: info.version,
          tablePrefix: this.#tables.prefix,
        });
      } catch (error) {
        // Also frees the migration lock if this connection still holds it.
        connection.destroy();
        throw error;
      }
      this.#pool = pool;
    } catch (error) {
      if (pool && pool !== this.#given) await pool.end().catch(() => {});
      if (error instanceof SchemaVersionError) throw error;
      throw new BackendError('mysql', 'open', error);
    }
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    if (pool && pool !== this.#given) {
      try {
        await pool.end();
      } catch (error) {
        throw new BackendError('mysql', 'close', error);
      }
    }
  }

  write(records: readonly TaskRecord[]): Promise<WriteResult> {
    return this.#call('write', (pool) => writeRecords(pool, this.#tables, records, this.#maxStatementBytes));
  }

  get(id: string): Promise<TaskRecord | null> {
    return this.#call('get', async (pool) => {
      const [rows] = await pool.query<RowDataPacket[]>(selectById(this.#tables), [id]);
      return rows.length > 0 ? rowToRecord(rows[0]!) : null;
    });
  }

  query(query: NormalizedTaskQuery): Promise<TaskRecord[]> {
    return this.#call('query', async (pool) => {
      const statement = selectPage(this.#tables, query);
      const [rows] = await pool.query<RowDataPacket[]>(statement.sql, statement.values);
      return rows.map(rowToRecord);
    });
  }

  counts(query: NormalizedTaskQuery): Promise<StatusCounts> {
    return this.#call('counts', async (pool) => {
      const statement = countByStatus(this.#tables, query);
      const [rows] = await pool.query<RowDataPacket[]>(statement.sql, statement.values);
      const counts = emptyCounts();
      for (const row of rows) counts[text(row.status) as TaskStatus] = Number(row.n);
      return counts;
    });
  }

  heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<void> {
    return this.#call('heartbeat', async (pool) => {
      await pool.query(upsertHeartbeat(this.#tables), [instanceId, Math.round(ttlMs), JSON.stringify(meta)]);
    });
  }

  removeInstance(instanceId: string): Promise<void> {
    return this.#call('removeInstance', async (pool) => {
      await pool.query(deleteInstance(this.#tables), [instanceId]);
    });
  }

  instances(): Promise<InstanceInfo[]> {
    return this.#call('instances', async (pool) => {
      const [rows] = await pool.query<RowDataPacket[]>(selectInstances(this.#tables));
      return rows.map((row) => ({
        id: text(row.id),
        expiresAt: Number(row.expires_at),
        startedAt: Number(row.started_at),
        meta: JSON.parse(text(row.meta)) as Record<string, unknown>,
      }));
    });
  }

  claim(request: ClaimRequest): Promise<TaskRecord[]> {
    return this.#call('claim', (pool) => claimRecords(pool, this.#tables, request));
  }

  now(): Promise<number> {
    return this.#call('now', async (pool) => {
      const [rows] = await pool.query<RowDataPacket[]>(SELECT_NOW);
      return Number(rows[0]!.now);
    });
  }

  /** Every driver error leaves as a `BackendError` naming the call; the manager retries. */
  async #call<T>(operation: string, work: (pool: Pool) => Promise<T>): Promise<T> {
    const pool = this.#pool;
    if (!pool) throw new BackendError('mysql', operation, new Error('the backend is not open'));
    try {
      return await work(pool);
    } catch (error) {
      throw new BackendError('mysql', operation, error);
    }
  }
}

/** `user@host:port/database` of a pool, never its password. */
function describeTarget(pool: Pool): string {
  const config = (pool.pool as unknown as { config?: { connectionConfig?: Record<string, unknown> } }).config
    ?.connectionConfig;
  if (!config) return 'the MySQL server';
  const where = config.socketPath
    ? String(config.socketPath)
    : `${String(config.host)}:${String(config.port)}`;
  return `mysql://${String(config.user ?? '')}@${where}/${String(config.database ?? '')}`;
}

/** Node reports a refused dual-stack connect as an AggregateError with an empty message. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const code = (error as { code?: unknown }).code;
  const inner = error instanceof AggregateError ? error.errors.map(describeError).join('; ') : '';
  return inner || (typeof code === 'string' ? code : error.name);
}
