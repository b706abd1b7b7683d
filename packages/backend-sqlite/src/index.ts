import {
  type BackendContext,
  BackendError,
  type ClaimRequest,
  emptyCounts,
  type InstanceInfo,
  type NormalizedTaskQuery,
  type ScheduleStore,
  SchemaVersionError,
  type SnapshotBackend,
  type StatusCounts,
  type TaskContext,
  type TaskRecord,
  type TaskStatus,
  type WriteResult,
} from '@errand/core';
import Database from 'better-sqlite3';
import { type BackupOptions, type BackupResult, backupDatabase } from './backup.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { fromRow, type TaskRow } from './row.js';
import { prepareClaim } from './sql/claim.js';
import { whereClause } from './sql/query.js';
import { prepareSchedules, type ScheduleStatements, SqliteScheduleStore } from './sql/schedules.js';
import { prepareWrite } from './sql/write.js';

export type { BackupOptions, BackupResult } from './backup.js';

/** Options of {@link SqliteBackend.backupJob}: where and how many, plus when. */
export interface BackupJobOptions extends BackupOptions {
  /** Job id (and task name). Default `database_backup`. */
  id?: string;
  /** Default `0 2 * * *` (02:00 daily). */
  cron?: string;
  /** Default `UTC`. */
  timezone?: string;
}

/** A job definition for `scheduler.add()` (structurally `JobDefinition` of `@errand/scheduler`). */
export interface BackupJobDefinition {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  maxInstances: number;
  coalesce: boolean;
  taskOptions: { retries: number; retryDelay: number };
  fn: (ctx: TaskContext) => Promise<{ path: string; bytes: number; removed: string[] }>;
}

/** Options of {@link SqliteBackend}. */
export interface SqliteBackendOptions {
  /** Database file (created when missing). Give either `path` or `database`. */
  path?: string;
  /** An open better-sqlite3 database the application owns; `close()` leaves it open. */
  database?: Database.Database;
  /** Prefix of the tables Errand creates. Default `errand_`. */
  tablePrefix?: string;
  /** How long a write waits for another process's lock, in ms. Default 5000. */
  busyTimeout?: number;
  /**
   * `PRAGMA synchronous`. `'normal'` (default) survives a crash of the
   * process (kill -9) in WAL mode; `'full'` also survives a power cut, at
   * the cost of an fsync per commit.
   */
  synchronous?: 'normal' | 'full';
}

interface Statements {
  write: (records: readonly TaskRecord[]) => WriteResult;
  claim: (request: ClaimRequest, now: number) => TaskRecord[];
  get: Database.Statement;
  heartbeat: Database.Statement;
  removeInstance: Database.Statement;
  instances: Database.Statement;
  schedules: ScheduleStatements;
}

/**
 * Stores Errand's tasks in a SQLite file through better-sqlite3.
 *
 * WAL mode lets several processes on one host share the file: claims and
 * idempotency checks run in `BEGIN IMMEDIATE` transactions, which SQLite
 * serialises. Writes are batched by the manager, one transaction per batch.
 *
 * ```ts
 * const manager = new TaskManager({ backend: new SqliteBackend({ path: './data/tasks.db' }) });
 * ```
 */
export class SqliteBackend implements SnapshotBackend {
  readonly name = 'sqlite';
  readonly #options: SqliteBackendOptions;
  readonly #prefix: string;
  #db: Database.Database | null = null;
  #statements: Statements | null = null;
  readonly #queries = new Map<string, Database.Statement>();
  #backupRunning: Promise<BackupResult> | null = null;

  /**
   * The jobs of `@errand/scheduler`, in the `<prefix>jobs` table. Always
   * present; its methods reject until the backend is open.
   */
  readonly schedules: ScheduleStore = new SqliteScheduleStore(() => this.#ready().schedules);

  constructor(options: SqliteBackendOptions) {
    if (!options || (options.path === undefined) === (options.database === undefined)) {
      throw new TypeError('SqliteBackend: pass exactly one of { path } or { database }');
    }
    const prefix = options.tablePrefix ?? 'errand_';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
      throw new TypeError(
        `SqliteBackend: tablePrefix must be letters, digits and underscores, got "${prefix}"`,
      );
    }
    this.#options = options;
    this.#prefix = prefix;
  }

  /** The underlying database, once open (for the application's own queries). */
  get database(): Database.Database {
    if (!this.#db) throw new Error('SqliteBackend is not open');
    return this.#db;
  }

  async open(_context?: BackendContext): Promise<void> {
    if (this.#db) return;
    let db: Database.Database;
    try {
      db = this.#options.database ?? new Database(this.#options.path!);
    } catch (error) {
      throw new BackendError(this.name, 'open', error);
    }
    try {
      db.pragma(`busy_timeout = ${this.#options.busyTimeout ?? 5000}`);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.#options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.#migrate(db);
      this.#statements = this.#prepare(db);
      this.#db = db;
    } catch (error) {
      if (!this.#options.database) db.close();
      if (error instanceof SchemaVersionError) throw error;
      throw new BackendError(this.name, 'open', error);
    }
  }

  async close(): Promise<void> {
    if (this.#backupRunning) await this.#backupRunning.catch(() => {});
    const db = this.#db;
    this.#db = null;
    this.#statements = null;
    this.#queries.clear();
    if (db && !this.#options.database) db.close();
  }

  async write(records: readonly TaskRecord[]): Promise<WriteResult> {
    if (records.length === 0) return { conflicts: [] };
    return this.#ready().write(records);
  }

  async get(id: string): Promise<TaskRecord | null> {
    const row = this.#ready().get.get(id) as TaskRow | undefined;
    return row ? fromRow(row) : null;
  }

  async query(query: NormalizedTaskQuery): Promise<TaskRecord[]> {
    const { sql, params } = whereClause(query, true);
    const statement = this.#cached(
      `SELECT * FROM ${this.#prefix}tasks ${sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
    );
    return (statement.all(...params, query.limit) as TaskRow[]).map(fromRow);
  }

  async counts(query: NormalizedTaskQuery): Promise<StatusCounts> {
    const { sql, params } = whereClause(query, false);
    const statement = this.#cached(
      `SELECT status, count(*) AS n FROM ${this.#prefix}tasks ${sql} GROUP BY status`,
    );
    const counts = emptyCounts();
    for (const row of statement.all(...params) as Array<{ status: TaskStatus; n: number }>)
      counts[row.status] = row.n;
    return counts;
  }

  async heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<void> {
    const now = Date.now();
    this.#ready().heartbeat.run(instanceId, now + ttlMs, now, JSON.stringify(meta));
  }

  async removeInstance(instanceId: string): Promise<void> {
    this.#ready().removeInstance.run(instanceId);
  }

  async instances(): Promise<InstanceInfo[]> {
    const rows = this.#ready().instances.all() as Array<{
      id: string;
      expires_at: number;
      started_at: number;
      meta: string;
    }>;
    return rows.map((row) => ({
      id: row.id,
      expiresAt: row.expires_at,
      startedAt: row.started_at,
      meta: JSON.parse(row.meta),
    }));
  }

  async claim(request: ClaimRequest): Promise<TaskRecord[]> {
    return this.#ready().claim(request, Date.now());
  }

  /** One host, one clock: the store's time is this process's time. */
  async now(): Promise<number> {
    return Date.now();
  }

  /**
   * Copies the live database into `dir` as `<prefix>-<UTC timestamp>.db`
   * while writes go on, verifies the copy with `PRAGMA quick_check`, and
   * keeps the newest `keep` (default 7) backups. Never two at once.
   */
  backup(options: BackupOptions): Promise<BackupResult> {
    if (this.#backupRunning) return Promise.reject(new Error('backup: a backup is already running'));
    const running = backupDatabase(this.database, options).finally(() => {
      this.#backupRunning = null;
    });
    this.#backupRunning = running;
    return running;
  }

  /**
   * The daily `database_backup` job for `@errand/scheduler`:
   * `scheduler.add(backend.backupJob({ dir: './backups' }))`. Runs
   * `backup()` at 02:00 UTC (cron `0 2 * * *` unless told otherwise), keeps
   * the newest `keep` (default 7) files, never two at once; each run's
   * success or failure, with its logs, is in the task history.
   */
  backupJob(options: BackupJobOptions): BackupJobDefinition {
    const { id = 'database_backup', cron = '0 2 * * *', timezone = 'UTC', ...backup } = options;
    return {
      id,
      name: id,
      cron,
      timezone,
      maxInstances: 1,
      coalesce: true,
      taskOptions: { retries: 2, retryDelay: 60_000 },
      fn: async (ctx: TaskContext) => {
        ctx.log('backup started', { dir: backup.dir, keep: backup.keep ?? 7 });
        const result = await this.backup(backup);
        ctx.log('backup written', {
          path: result.path,
          bytes: result.bytes,
          durationMs: Math.round(result.durationMs),
          removed: result.removed.length,
        });
        return { path: result.path, bytes: result.bytes, removed: result.removed };
      },
    };
  }

  #ready(): Statements {
    if (!this.#statements) throw new Error('SqliteBackend is not open: the manager opens it in start()');
    return this.#statements;
  }

  #cached(sql: string): Database.Statement {
    let statement = this.#queries.get(sql);
    if (!statement) {
      statement = this.database.prepare(sql);
      this.#queries.set(sql, statement);
    }
    return statement;
  }

  #migrate(db: Database.Database): void {
    const p = this.#prefix;
    const migrate = db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${p}meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)`);
      const stored = db.prepare(`SELECT value FROM ${p}meta WHERE key = 'schema_version'`).pluck().get() as
        | string
        | undefined;
      const current = stored === undefined ? 0 : Number(stored);
      if (current > SCHEMA_VERSION) {
        throw new SchemaVersionError(
          `the tables "${p}*" have schema version ${current}, newer than ${SCHEMA_VERSION} which this @errand/backend-sqlite knows; upgrade it`,
        );
      }
      for (const migration of MIGRATIONS) {
        if (migration.version > current) db.exec(migration.sql(p));
      }
      db.prepare(`INSERT INTO ${p}meta (key, value) VALUES ('schema_version', ?)
                  ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION));
    });
    migrate.immediate();
  }

  #prepare(db: Database.Database): Statements {
    const p = this.#prefix;
    const write = prepareWrite(db, p);
    return {
      write,
      claim: prepareClaim(db, p),
      get: db.prepare(`SELECT * FROM ${p}tasks WHERE id = ?`),
      heartbeat: db.prepare(
        `INSERT INTO ${p}instances (id, expires_at, started_at, meta) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, meta = excluded.meta`,
      ),
      removeInstance: db.prepare(`DELETE FROM ${p}instances WHERE id = ?`),
      instances: db.prepare(`SELECT * FROM ${p}instances ORDER BY started_at, id`),
      schedules: prepareSchedules(db, p, write),
    };
  }
}
