import type { JobRunOutcome, ScheduleStore, StoredJob, TickClaim } from '@errand/core';
import type { Pool } from 'mysql2/promise';
import {
  claimJobTick,
  deleteJob,
  dueJobs,
  getJob,
  listJobs,
  markOrphanJobs,
  recordJobOutcome,
  registerJob,
  setJobPaused,
} from './sql/schedules.js';
import type { Tables } from './tables.js';

/** What the store borrows from its {@link MysqlBackend}. */
export interface ScheduleStoreHost {
  tables: Tables;
  /** Runs `work` on the open pool; errors leave as `BackendError`s naming `operation`. */
  call<T>(operation: string, work: (pool: Pool) => Promise<T>): Promise<T>;
  /** The statement budget `write()` uses, known after `open()`. */
  maxStatementBytes(): number;
}

/**
 * `backend.schedules`: the `ScheduleStore` of `@errand/scheduler` on the
 * `<prefix>jobs` table (schema version 2). It shares the backend's pool;
 * before `open()` and after `close()` every call rejects like the backend's
 * own calls do.
 */
export class MysqlScheduleStore implements ScheduleStore {
  readonly #host: ScheduleStoreHost;

  constructor(host: ScheduleStoreHost) {
    this.#host = host;
  }

  list(): Promise<StoredJob[]> {
    return this.#host.call('schedules.list', (pool) => listJobs(pool, this.#host.tables));
  }

  get(id: string): Promise<StoredJob | null> {
    return this.#host.call('schedules.get', (pool) => getJob(pool, this.#host.tables, id));
  }

  register(job: StoredJob): Promise<StoredJob> {
    return this.#host.call('schedules.register', (pool) => registerJob(pool, this.#host.tables, job));
  }

  markOrphans(declaredIds: readonly string[]): Promise<void> {
    return this.#host.call('schedules.markOrphans', (pool) =>
      markOrphanJobs(pool, this.#host.tables, declaredIds),
    );
  }

  remove(id: string): Promise<boolean> {
    return this.#host.call('schedules.remove', (pool) => deleteJob(pool, this.#host.tables, id));
  }

  setPaused(id: string, paused: boolean): Promise<boolean> {
    return this.#host.call('schedules.setPaused', (pool) =>
      setJobPaused(pool, this.#host.tables, id, paused),
    );
  }

  claimTick(claim: TickClaim): Promise<boolean> {
    return this.#host.call('schedules.claimTick', (pool) =>
      claimJobTick(pool, this.#host.tables, claim, this.#host.maxStatementBytes()),
    );
  }

  recordOutcome(jobId: string, taskId: string, outcome: JobRunOutcome): Promise<void> {
    return this.#host.call('schedules.recordOutcome', (pool) =>
      recordJobOutcome(pool, this.#host.tables, jobId, taskId, outcome),
    );
  }

  due(now: number, limit: number): Promise<StoredJob[]> {
    return this.#host.call('schedules.due', (pool) => dueJobs(pool, this.#host.tables, now, limit));
  }
}
