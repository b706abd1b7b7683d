import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  BackendCapabilities,
  BackendContext,
  ClaimRequest,
  SnapshotBackend,
  TaskRecord,
  WriteHints,
  WriteResult,
} from '@errand/core';
import {
  DEFAULT_OPERATION_TIMEOUT,
  InvalidOptionError,
  InvalidStateError,
  maskSecrets,
  resolveOperationTimeout,
  SchemaVersionError,
  StoreCaller,
  TEXT_JSON_CODEC,
} from '@errand/core';
import type { JobDefinition } from '@errand/scheduler';
import { type Procedure, SqlBackend, type SqlTables, sqliteDialect, sqlTables } from '@errand/sql';
import Database from 'better-sqlite3';
import { type BackupJobOptions, type BackupOptions, type BackupResult, backup, backupJob } from './backup.js';
import { SqliteDriver } from './driver.js';
import { MIGRATIONS, migrate } from './migrations/index.js';
import { claimProcedure } from './sql/claim.js';
import { classifySqliteError, isTransientSqliteError } from './sqlite-errors.js';

/** Options of {@link SqliteBackend}. */
export interface SqliteBackendOptions {
  /** Database file (created when missing, with its folders). Give either `path` or `database`. */
  path?: string;
  /** An open better-sqlite3 database the application owns; `close()` leaves it open. */
  database?: Database.Database;
  /** Prefix of the tables Errand creates. Default `errand_`. */
  tablePrefix?: string;
  /** Time limit of one call, in ms: default 5000, or `busyTimeout` if only that is given and larger. */
  operationTimeout?: number;
  /** Ms a call waits for another process's write lock. Default and maximum: `operationTimeout`. */
  busyTimeout?: number;
  /** `PRAGMA synchronous`: `'normal'` (default) survives kill -9 in WAL mode; `'full'` also a power cut. */
  synchronous?: 'normal' | 'full';
}

function checked(options: SqliteBackendOptions) {
  const fail = (message: string) => new InvalidOptionError(`SqliteBackend: ${maskSecrets(message)}`);
  if (!options || (options.path === undefined) === (options.database === undefined))
    throw fail('pass exactly one of { path } or { database }');
  // A store URL given by mistake would otherwise become folders.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(options.path ?? ''))
    throw fail(`path must be a file path, not a URL: "${options.path}"`);
  const prefix = options.tablePrefix ?? 'errand_';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix))
    throw fail(`tablePrefix must be letters, digits and underscores, got "${prefix}"`);
  const busy = options.busyTimeout;
  if (busy !== undefined && !(Number.isInteger(busy) && busy >= 0 && busy <= 2_147_483_647))
    throw fail(`busyTimeout must be a whole number of ms from 0 to 2147483647, got ${String(busy)}`);
  const implied = busy === undefined ? undefined : Math.max(busy, DEFAULT_OPERATION_TIMEOUT);
  const timeout = resolveOperationTimeout(options.operationTimeout ?? implied, 'SqliteBackend');
  if (busy !== undefined && busy > timeout)
    throw fail(`busyTimeout (${busy}) cannot exceed operationTimeout (${timeout})`);
  return { ...options, timeout, busyTimeout: busy ?? timeout, prefix };
}

const CAPABILITIES = { multiProcess: true, schedules: true, retention: true, notify: false };

/**
 * Stores Errand's tasks in a SQLite file through better-sqlite3. WAL mode lets several processes on
 * one host share the file: writes and claims run in `BEGIN IMMEDIATE` transactions, which SQLite
 * serialises. The manager batches writes, one transaction per batch.
 *
 * ```ts
 * const manager = new TaskManager({ backend: new SqliteBackend({ path: './data/tasks.db' }) });
 * ```
 */
export class SqliteBackend extends SqlBackend<SqliteDriver> implements SnapshotBackend {
  /** Processes on one host share the file; nothing wakes them (they poll). */
  static readonly capabilities: BackendCapabilities = Object.freeze(CAPABILITIES);
  readonly name = 'sqlite';
  readonly capabilities = SqliteBackend.capabilities;
  readonly #settings: ReturnType<typeof checked>;
  readonly #tables: SqlTables;
  #db: Database.Database | null = null;
  #driver: SqliteDriver | null = null;
  #backup: Promise<BackupResult> | null = null;

  constructor(options: SqliteBackendOptions) {
    const settings = checked(options);
    const errors = { classify: classifySqliteError, isTransient: isTransientSqliteError };
    const caller = new StoreCaller({ backend: 'sqlite', timeout: settings.timeout, ...errors });
    const tables = sqlTables((table) => `${settings.prefix}${table}`);
    super({ dialect: sqliteDialect, tables, caller, codec: TEXT_JSON_CODEC });
    [this.#settings, this.#tables] = [settings, tables];
  }

  /** The underlying database, once open (for the application's own queries). */
  get database(): Database.Database {
    if (!this.#db) throw new InvalidStateError('SqliteBackend is not open: the manager opens it in start()');
    return this.#db;
  }

  async open(context?: BackendContext): Promise<void> {
    if (this.#db) return;
    const { path, database, synchronous, prefix, busyTimeout } = this.#settings;
    const existingOnly = context?.migrate === false;
    await this.caller.call('open', async () => {
      // A fresh project has no ./data yet; ':memory:' and '' (a temporary file) have no folder.
      if (path && path !== ':memory:' && !existingOnly) mkdirSync(dirname(path), { recursive: true });
      if (existingOnly && path && path !== ':memory:' && !existsSync(path)) {
        throw new SchemaVersionError(
          `${path} does not exist: no Errand store here (opened with migrate: false)`,
          {
            found: 0,
            expected: MIGRATIONS.length,
          },
        );
      }
      const db = database ?? new Database(path!);
      try {
        db.pragma(`busy_timeout = ${busyTimeout}`);
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        await migrate(db, prefix, undefined, existingOnly);
        this.#driver = new SqliteDriver(db, prefix);
        this.#db = db;
      } catch (error) {
        if (!database) db.close();
        throw error;
      }
    });
  }

  /** Closes the file it opened, once a running backup ends (waiting at most `operationTimeout`). */
  async close(): Promise<void> {
    const bound = new Promise((resolve) => setTimeout(resolve, this.caller.timeout).unref());
    if (this.#backup) await Promise.race([this.#backup.catch(() => {}), bound]);
    const db = this.#db;
    this.#db = null;
    this.#driver = null;
    if (db && !this.#settings.database) db.close();
  }

  /** One `BEGIN IMMEDIATE` transaction a batch: a key's holder cannot change between its check and the write. */
  write(records: readonly TaskRecord[], hints?: WriteHints): Promise<WriteResult> {
    return this.call('write', (driver) => driver.write(records, hints));
  }

  /**
   * Copies the live database into `dir` as `<prefix>-<UTC timestamp>.db` while writes go on, checks
   * the copy and keeps the newest `keep` (default 7). Rejects while another backup runs.
   */
  async backup(options: BackupOptions): Promise<BackupResult> {
    if (this.#backup) throw new Error('backup: a backup is already running');
    this.#backup = backup(this.database, options).finally(() => {
      this.#backup = null;
    });
    return this.#backup;
  }

  /**
   * The daily `database_backup` job: `scheduler.add(backend.backupJob({ dir: './backups' }))` runs
   * `backup()` at 02:00 UTC, never two at once; each run's outcome and logs are in the task history.
   */
  backupJob(options: BackupJobOptions): JobDefinition {
    return backupJob((backupOptions) => this.backup(backupOptions), options);
  }

  protected claimTasks(driver: SqliteDriver, request: ClaimRequest): TaskRecord[] {
    const t = (row: Record<string, unknown>) => this.task(row);
    return driver.atomically(claimProcedure(this.#tables, this.#settings.prefix, request, t));
  }

  // better-sqlite3 answers at once: the batch is written, as a savepoint of the tick's transaction,
  // when the tick reaches it.
  protected *writeProcedure(records: readonly TaskRecord[]): Procedure<WriteResult> {
    yield* [];
    return this.ready('write').write(records);
  }

  protected driver(): SqliteDriver | null {
    return this.#driver;
  }
}
