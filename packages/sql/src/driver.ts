import type { Statement } from './dialect.js';
import type { Procedure, StatementResult } from './procedures.js';

/** A value, or a promise of it: better-sqlite3 answers at once, pg and mysql2 later. */
export type Awaitable<T> = T | Promise<T>;

/** How a transaction of {@link SqlDriver.atomically} reads rows that others lock and commit. */
export interface AtomicOptions {
  /**
   * It queues on row locks and must read what each previous holder committed (flow control,
   * `cancel`): MySQL runs it at READ COMMITTED, which takes no gap locks. PostgreSQL's default
   * already is; SQLite serialises all writers.
   */
  readCommitted?: boolean;
}

/**
 * The driver glue of one SQL store, all that {@link SqlBackend} needs to run the operations the
 * three stores share. Synchronous (better-sqlite3) or not. Each method is given a fresh procedure:
 * a call that failed with a transient error runs again from its first statement.
 */
export interface SqlDriver {
  /** `procedure` in one transaction, all or nothing (SQLite: `BEGIN IMMEDIATE`). */
  atomically<T>(procedure: Procedure<T>, options?: AtomicOptions): Awaitable<T>;
  /**
   * `procedure` with no transaction of its own: reads, and writes that are each atomic alone
   * (a release, a lease). SQLite still wraps them in one, taking the write lock at once when
   * the first statement writes, and a snapshot that blocks no writer when it reads.
   */
  separately<T>(procedure: Procedure<T>): Awaitable<T>;
  /** One statement, on its own. */
  execute(statement: Statement): Awaitable<StatementResult>;
}
