import type { JobRunOutcome, ScheduleStore, StoredJob, TaskRecord, TickClaim } from '@errand/core';
import type pg from 'pg';
import { type PreparedStatement, prepared } from './sql/prepared.js';
import {
  claimTickStatement,
  claimTickValues,
  dueStatement,
  getJobStatement,
  type JobRow,
  jobValues,
  listJobsStatement,
  markOrphansStatement,
  recordOutcomeStatement,
  registerStatement,
  removeJobStatement,
  rowToJob,
  setPausedStatement,
} from './sql/schedules.js';
import type { Tables } from './tables.js';

/** What the store borrows from its {@link PostgresBackend}: its pool, its errors, its `write()`. */
export interface ScheduleStoreHost {
  /** One statement on the pool; failures become a `BackendError` naming `operation`. */
  run<Row extends pg.QueryResultRow>(
    operation: string,
    statement: string | PreparedStatement,
    values: unknown[],
  ): Promise<pg.QueryResult<Row>>;
  /**
   * `body` inside BEGIN ... COMMIT on one client; rolled back when it throws
   * or returns false. Retried whole after a transient error.
   */
  transaction(operation: string, body: (client: pg.PoolClient) => Promise<boolean>): Promise<boolean>;
  /** Stores records with the rules and the statement of `write()`, on `client`, inside its transaction. */
  writeOn(client: pg.PoolClient, records: readonly TaskRecord[]): Promise<void>;
}

/**
 * The `ScheduleStore` of {@link PostgresBackend}, over the `<prefix>jobs`
 * table (schema version 2). Every method is one statement, except
 * `claimTick` with tasks: one transaction on one connection.
 */
export class PostgresScheduleStore implements ScheduleStore {
  readonly #host: ScheduleStoreHost;
  readonly #statements: Record<
    'list' | 'get' | 'register' | 'claimTick' | 'recordOutcome' | 'due',
    PreparedStatement
  >;
  readonly #markOrphans: string;
  readonly #remove: string;
  readonly #setPaused: string;

  constructor(tables: Tables, host: ScheduleStoreHost) {
    this.#host = host;
    this.#statements = {
      list: prepared(listJobsStatement(tables)),
      get: prepared(getJobStatement(tables)),
      register: prepared(registerStatement(tables)),
      claimTick: prepared(claimTickStatement(tables)),
      recordOutcome: prepared(recordOutcomeStatement(tables)),
      due: prepared(dueStatement(tables)),
    };
    this.#markOrphans = markOrphansStatement(tables);
    this.#remove = removeJobStatement(tables);
    this.#setPaused = setPausedStatement(tables);
  }

  async list(): Promise<StoredJob[]> {
    const result = await this.#host.run<JobRow>('schedules.list', this.#statements.list, []);
    return result.rows.map(rowToJob);
  }

  async get(id: string): Promise<StoredJob | null> {
    const result = await this.#host.run<JobRow>('schedules.get', this.#statements.get, [id]);
    return result.rows[0] ? rowToJob(result.rows[0]) : null;
  }

  async register(job: StoredJob): Promise<StoredJob> {
    const result = await this.#host.run<JobRow>(
      'schedules.register',
      this.#statements.register,
      jobValues(job),
    );
    return rowToJob(result.rows[0]!);
  }

  async markOrphans(declaredIds: readonly string[]): Promise<void> {
    await this.#host.run('schedules.markOrphans', this.#markOrphans, [[...declaredIds]]);
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.#host.run('schedules.remove', this.#remove, [id]);
    return (result.rowCount ?? 0) > 0;
  }

  async setPaused(id: string, paused: boolean): Promise<boolean> {
    const result = await this.#host.run('schedules.setPaused', this.#setPaused, [id, paused]);
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * The compare-and-set on `next_run_at` first; only when it matched, the
   * tick's tasks through the `write()` statement on the same connection,
   * then COMMIT. A claim without tasks is the compare-and-set alone (one
   * statement is its own transaction).
   */
  async claimTick(claim: TickClaim): Promise<boolean> {
    const values = claimTickValues(claim);
    if (claim.tasks.length === 0) {
      const result = await this.#host.run('schedules.claimTick', this.#statements.claimTick, values);
      return result.rowCount === 1;
    }
    return this.#host.transaction('schedules.claimTick', async (client) => {
      const result = await client.query({ ...this.#statements.claimTick, values });
      if (result.rowCount !== 1) return false;
      await this.#host.writeOn(client, claim.tasks);
      return true;
    });
  }

  async recordOutcome(jobId: string, taskId: string, outcome: JobRunOutcome): Promise<void> {
    await this.#host.run('schedules.recordOutcome', this.#statements.recordOutcome, [jobId, taskId, outcome]);
  }

  async due(now: number, limit: number): Promise<StoredJob[]> {
    if (!(limit >= 1)) return [];
    const result = await this.#host.run<JobRow>('schedules.due', this.#statements.due, [
      Math.floor(now),
      Math.floor(limit),
    ]);
    return result.rows.map(rowToJob);
  }
}
