import { encodeFields, TASK_FIELDS, type TaskRecord, TEXT_JSON_CODEC } from '@errand/core';
import Database from 'better-sqlite3';
import {
  type Procedure,
  type SqlDriver,
  type Statement,
  type StatementResult,
  sqliteDialect,
  sqlTables,
  TASK_COLUMNS,
} from '../src/index.js';

/** The tables of the test store, unprefixed. */
export const tables = sqlTables((table) => table);

// Typed as the store types them: better-sqlite3 binds every number as a REAL, and an INTEGER
// column is what makes a whole one an integer again.
const TYPE: Record<string, string> = { int: 'INTEGER', time: 'INTEGER', bool: 'INTEGER', float: 'REAL' };
const TASKS = TASK_FIELDS.map(
  (f) => `${f.column} ${TYPE[f.kind] ?? 'TEXT'}${f.column === 'id' ? ' PRIMARY KEY' : ''}`,
);

/** An in-memory SQLite store with every table @errand/sql's statements read, and the smallest driver over it. */
export function sqliteStore(): {
  db: Database.Database;
  driver: SqlDriver;
  execute(statement: Statement): StatementResult;
  /** Runs a procedure in one transaction. */
  run<T>(procedure: Procedure<T>): T;
  insert(...records: TaskRecord[]): void;
  /** A heartbeat row that expires `ttl` ms from the store's clock (negative: already expired). */
  instance(id: string, ttl?: number): void;
} {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE tasks (${TASKS.join(', ')});
    CREATE TABLE instances (id TEXT PRIMARY KEY, expires_at INTEGER, started_at INTEGER, meta TEXT);
    CREATE TABLE queues (name TEXT PRIMARY KEY, paused INTEGER, concurrency INTEGER, global_concurrency INTEGER,
      updated_at INTEGER);
    CREATE TABLE counters (key TEXT PRIMARY KEY, value REAL, at INTEGER);
    CREATE TABLE semaphores (key TEXT, holder TEXT, units INTEGER, PRIMARY KEY (key, holder));
    CREATE TABLE locks (name TEXT PRIMARY KEY, holder TEXT, expires_at INTEGER);
    CREATE TABLE jobs (id TEXT PRIMARY KEY, task_name TEXT, "trigger" TEXT, definition_hash TEXT, options TEXT,
      next_run_at INTEGER, last_run_at INTEGER, last_outcome TEXT, paused INTEGER, orphaned INTEGER,
      active_runs TEXT, updated_at INTEGER);`);
  const execute = ({ sql, values }: Statement): StatementResult => {
    const statement = db.prepare(sql);
    if (!statement.reader) return { rows: [], changes: statement.run(values).changes };
    return { rows: statement.all(values) as Array<Record<string, unknown>>, changes: 0 };
  };
  const drive = db.transaction((procedure: Procedure<unknown>) => {
    let step = procedure.next();
    while (!step.done) step = procedure.next(execute(step.value));
    return step.value;
  });
  const driver: SqlDriver = {
    atomically: <T>(procedure: Procedure<T>) => drive.immediate(procedure) as T,
    separately: <T>(procedure: Procedure<T>) => drive.deferred(procedure) as T,
    execute,
  };
  const insert = db.prepare(
    `INSERT OR REPLACE INTO tasks (${TASK_COLUMNS}) VALUES (${TASK_COLUMNS.map(() => '?')})`,
  );
  return {
    db,
    driver,
    execute,
    run: <T>(procedure: Procedure<T>): T => drive(procedure) as T,
    insert: (...records: TaskRecord[]) => {
      for (const record of records) insert.run(encodeFields(TASK_FIELDS, record, TEXT_JSON_CODEC));
    },
    instance: (id: string, ttl = 3_600_000) =>
      void db.prepare(`INSERT INTO instances VALUES (?, ${sqliteDialect.now} + ?, 0, '{}')`).run(id, ttl),
  };
}
