import * as core from '@errand/core';
import { mysqlDialect, SqlBackend } from '@errand/sql';
import type { Pool, PoolOptions } from 'mysql2/promise';
import { type AnyPool, asPromisePool, connect, createOwnPool, Db, storeCaller } from './connection.js';
import { MIGRATION_MS, migrate } from './migrations/index.js';
import { claimProcedure } from './sql/claim.js';
import { type WriteLimits, writeProcedure, writeTasks } from './sql/write.js';
import { type Tables, tablesFor } from './tables.js';

/** Options of every form of {@link MysqlBackend}. */
export interface MysqlBackendCommonOptions {
  /** Prepended to the table names (`<prefix>tasks`...): letters, digits, `_`; at most 40. Default `errand_`. */
  tablePrefix?: string;
  /** Time limit of one call in ms (default 5000); past it the call rejects with failure `'timeout'`. */
  operationTimeout?: number;
}

/** A URL and/or mysql2 pool options: the backend creates the pool and ends it in `close()`. */
export interface MysqlConnectOptions extends Omit<PoolOptions, 'pool'>, MysqlBackendCommonOptions {
  /** `mysql://user:password@host:3306/database`; its parts win over the other options. */
  url?: string;
}

/** A pool the application owns (promise or callback flavour): the backend never ends it. */
export type MysqlExistingPoolOptions = MysqlBackendCommonOptions & { pool: AnyPool };

export type MysqlBackendOptions = MysqlConnectOptions | MysqlExistingPoolOptions;

const CAPABILITIES = Object.freeze({ multiProcess: true, schedules: true, retention: true, notify: false });
// A share of max_allowed_packet per statement (escaping and UTF-8 may triple a string), within bounds.
const statementBytes = (packet: number) => Math.min(8 << 20, Math.max(64 << 10, Math.floor(packet / 4)));

/** Errand persistence on MySQL 8 or MariaDB 10.6+ through mysql2 (see the README). */
export class MysqlBackend extends SqlBackend<Db> implements core.SnapshotBackend {
  /** Shared by many processes, with the scheduler's store and retention; no wake-up notices (instances poll). */
  static readonly capabilities: core.BackendCapabilities = CAPABILITIES;
  readonly name = 'mysql';
  readonly capabilities = CAPABILITIES;
  readonly #tables: Tables;
  /** `open()`'s: its schema changes may take up to MIGRATION_MS; its other statements keep the time limit. */
  readonly #opener: core.StoreCaller;
  readonly #given: Pool | null;
  readonly #create: () => Pool;
  /** Connections of a pool this backend made, for `close()` to drop when they do not answer. */
  readonly #opened = new Set<{ destroy(): void }>();
  #open: Pool | null = null;
  #limits: WriteLimits = { statementBytes: statementBytes(0), packetBytes: 1 << 20 };
  #logger = core.silentLogger;

  /** @param options a `mysql://` URL, mysql2 pool options with an optional `url`, or `{ pool }`. */
  constructor(options: string | MysqlBackendOptions) {
    const resolved: MysqlBackendOptions = typeof options === 'string' ? { url: options } : options;
    const { url, tablePrefix, operationTimeout, ...driver } = resolved as MysqlConnectOptions;
    const tables = tablesFor(tablePrefix ?? 'errand_');
    const timeout = core.resolveOperationTimeout(operationTimeout, 'mysql');
    super({ dialect: mysqlDialect, tables, caller: storeCaller(timeout), codec: core.TEXT_JSON_CODEC });
    [this.#tables, this.#opener] = [tables, storeCaller(Math.max(timeout, MIGRATION_MS))];
    this.#given = 'pool' in resolved && resolved.pool ? asPromisePool(resolved.pool) : null;
    this.#create = () => createOwnPool(this.#opened, timeout, driver, url);
  }

  /** The table names in use, for tools and tests. */
  get tables(): { tasks: string; instances: string; meta: string; jobs: string } {
    const name = (table: string) => `${this.#tables.prefix}${table}`;
    return { tasks: name('tasks'), instances: name('instances'), meta: name('meta'), jobs: name('jobs') };
  }

  async open(context?: core.BackendContext): Promise<void> {
    this.#logger = context?.logger ?? core.silentLogger;
    if (this.#open) return;
    let pool: Pool | null = null;
    const packet = await this.#opener
      .call('open', async () => {
        pool = this.#given ?? this.#create();
        const db = new Db(pool, this.caller.timeout, await connect(pool));
        // A one-off connection, so that no failure leaves the migration lock held.
        return migrate(db, this.#tables, undefined, context?.migrate === false).finally(() =>
          db.connection!.destroy(),
        );
      })
      .catch((error: unknown) => {
        if (pool && pool !== this.#given) void pool.end().catch(() => {});
        throw error;
      });
    this.#limits = { statementBytes: statementBytes(packet), packetBytes: packet };
    this.#open = pool;
    this.#logger.debug('mysql backend opened', { tablePrefix: this.#tables.prefix, ...this.#limits });
  }

  /** Ends a pool it created, never one it was given; a stalled connection that does not answer is dropped. */
  async close(): Promise<void> {
    const pool = this.#open;
    this.#open = null;
    if (!pool || pool === this.#given) return;
    await this.caller
      .call('close', () => pool.end())
      .catch((error: Error) => {
        this.#logger.warn('mysql backend: close', { error: error.message });
        for (const connection of this.#opened) connection.destroy();
      });
  }

  write(records: readonly core.TaskRecord[]): Promise<core.WriteResult> {
    return this.call('write', (db) => writeTasks(db, this.#tables, records, this.#limits));
  }

  // A READ COMMITTED transaction of its own: see sql/claim.ts.
  protected claimTasks(db: Db, request: core.ClaimRequest): Promise<core.TaskRecord[]> {
    const claim = claimProcedure(this.#tables, request, (row) => this.task(row));
    return db.atomically(claim, { readCommitted: true });
  }

  protected writeProcedure(records: readonly core.TaskRecord[]) {
    return writeProcedure(this.#tables, records, this.#limits);
  }

  // A Db a call: its deadline bounds every retry of the call.
  protected driver(): Db | null {
    return this.#open && new Db(this.#open, this.caller.timeout, null, undefined, this.#limits.packetBytes);
  }
}
