import type { Procedure, SqlDriver, Statement, StatementResult } from '@errand/sql';
import type Database from 'better-sqlite3';
import { prepareWrite } from './sql/write.js';

type Step = IteratorResult<Statement, unknown> | null;

/**
 * @errand/sql's statements and procedures on one connection. A procedure that writes runs in one
 * BEGIN IMMEDIATE transaction, which SQLite serialises against every writer of the file: that is
 * what makes it atomic across processes (the dialect's `forUpdate` is empty on purpose). Reads run
 * in a deferred one, a snapshot that blocks no writer. Their texts repeat, so each is prepared
 * once (the few that vary, with the length of an id list, are bounded by clearing).
 */
export class SqliteDriver implements SqlDriver {
  /** `write()` of the backend: prepared statements in a transaction of its own (a savepoint inside another). */
  readonly write: ReturnType<typeof prepareWrite>;
  readonly #db: Database.Database;
  readonly #cache = new Map<string, Database.Statement>();
  readonly #drive: Database.Transaction<(procedure: Procedure<unknown>, first: Step) => unknown>;

  constructor(db: Database.Database, prefix: string) {
    this.#db = db;
    this.write = prepareWrite(db, prefix);
    this.#drive = db.transaction((procedure, first) => {
      let step = first ?? procedure.next();
      while (!step.done) step = procedure.next(this.execute(step.value));
      return step.value;
    });
  }

  atomically<T>(procedure: Procedure<T>): T {
    return this.#drive.immediate(procedure, null) as T;
  }

  // Its first statement decides (building it touches no data): a write takes the lock up front,
  // as BEGIN IMMEDIATE would, instead of upgrading a read snapshot that another writer may have outdated.
  separately<T>(procedure: Procedure<T>): T {
    const first = procedure.next();
    if (first.done) return first.value;
    const begin = this.#prepared(first.value.sql).reader ? this.#drive.deferred : this.#drive.immediate;
    return begin(procedure, first) as T;
  }

  readonly execute = ({ sql, values }: Statement): StatementResult => {
    const statement = this.#prepared(sql);
    if (!statement.reader) return { rows: [], changes: statement.run(values).changes };
    const rows = statement.all(values) as Array<Record<string, unknown>>;
    return { rows, changes: rows.length };
  };

  #prepared(sql: string): Database.Statement {
    let statement = this.#cache.get(sql);
    if (!statement) {
      if (this.#cache.size >= 64) this.#cache.clear();
      statement = this.#db.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement;
  }
}
