import type {
  JobRunOutcome,
  ScheduleStore,
  StoredJob,
  TaskRecord,
  TickClaim,
  WriteResult,
} from '@errand/core';
import type Database from 'better-sqlite3';

/** A job row as better-sqlite3 returns it. */
interface JobRow {
  id: string;
  task_name: string;
  trigger: string;
  definition_hash: string;
  options: string;
  next_run_at: number | null;
  last_run_at: number | null;
  last_outcome: string | null;
  paused: number;
  orphaned: number;
  active_runs: string;
  updated_at: number;
}

function fromJobRow(row: JobRow): StoredJob {
  return {
    id: row.id,
    taskName: row.task_name,
    trigger: JSON.parse(row.trigger),
    definitionHash: row.definition_hash,
    options: JSON.parse(row.options),
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    lastOutcome: row.last_outcome as JobRunOutcome | null,
    paused: row.paused === 1,
    orphaned: row.orphaned === 1,
    activeRuns: JSON.parse(row.active_runs),
    updatedAt: row.updated_at,
  };
}

/** The synchronous operations behind {@link SqliteScheduleStore}. */
export interface ScheduleStatements {
  list(): StoredJob[];
  get(id: string): StoredJob | null;
  register(job: StoredJob, now: number): StoredJob;
  markOrphans(declaredIds: readonly string[]): void;
  remove(id: string): boolean;
  setPaused(id: string, paused: boolean, now: number): boolean;
  claimTick(claim: TickClaim, now: number): boolean;
  recordOutcome(jobId: string, taskId: string, outcome: JobRunOutcome, now: number): void;
  due(now: number, limit: number): StoredJob[];
}

/**
 * Prepares the statements of the `<prefix>jobs` table. `write` is the
 * backend's own write transaction (`prepareWrite`): `claimTick` calls it
 * inside its `BEGIN IMMEDIATE`, where better-sqlite3 nests it as a savepoint,
 * so a tick's tasks follow exactly the rules of `write()`.
 */
export function prepareSchedules(
  db: Database.Database,
  p: string,
  write: (records: readonly TaskRecord[]) => WriteResult,
): ScheduleStatements {
  const list = db.prepare(`SELECT * FROM ${p}jobs ORDER BY id`);
  const get = db.prepare(`SELECT * FROM ${p}jobs WHERE id = ?`);
  // One statement: insert a new id; for a stored one, clear `orphaned` and,
  // only when the hash changed, replace the definition and the next run.
  // (The right-hand sides of SET all read the row as it was.)
  const changed = `${p}jobs.definition_hash <> excluded.definition_hash`;
  const replaced = (column: string) =>
    `${column} = CASE WHEN ${changed} THEN excluded.${column} ELSE ${p}jobs.${column} END`;
  const register = db.prepare(
    `INSERT INTO ${p}jobs (id, task_name, "trigger", definition_hash, options, next_run_at,
                           last_run_at, last_outcome, paused, orphaned, active_runs, updated_at)
     VALUES (@id, @taskName, @trigger, @definitionHash, @options, @nextRunAt,
             @lastRunAt, @lastOutcome, @paused, 0, @activeRuns, @updatedAt)
     ON CONFLICT (id) DO UPDATE SET
       orphaned = 0,
       ${['task_name', '"trigger"', 'definition_hash', 'options', 'next_run_at'].map(replaced).join(',\n       ')},
       updated_at = CASE WHEN ${changed} THEN @now ELSE ${p}jobs.updated_at END
     RETURNING *`,
  );
  const markOrphans = db.prepare(
    `UPDATE ${p}jobs SET orphaned = (id NOT IN (SELECT value FROM json_each(?)))
     WHERE orphaned <> (id NOT IN (SELECT value FROM json_each(?)))`,
  );
  const remove = db.prepare(`DELETE FROM ${p}jobs WHERE id = ?`);
  const setPaused = db.prepare(`UPDATE ${p}jobs SET paused = ?, updated_at = ? WHERE id = ?`);
  const compareAndSet = db.prepare(
    `UPDATE ${p}jobs
     SET next_run_at = ?, active_runs = ?, last_run_at = ?,
         last_outcome = coalesce(?, last_outcome), updated_at = ?
     WHERE id = ? AND next_run_at = ?`,
  );
  const activeRuns = db.prepare(`SELECT active_runs FROM ${p}jobs WHERE id = ?`).pluck();
  const setOutcome = db.prepare(
    `UPDATE ${p}jobs SET active_runs = ?, last_outcome = ?, updated_at = ? WHERE id = ?`,
  );
  const due = db.prepare(
    `SELECT * FROM ${p}jobs
     WHERE next_run_at <= ? AND paused = 0 AND orphaned = 0
     ORDER BY next_run_at, id
     LIMIT ?`,
  );

  // The compare-and-set and the tick's tasks commit together or not at all.
  const claimTick = db.transaction((claim: TickClaim, now: number): boolean => {
    const { changes } = compareAndSet.run(
      claim.nextRunAt,
      JSON.stringify(claim.activeRuns),
      claim.lastRunAt,
      claim.lastOutcome,
      now,
      claim.jobId,
      claim.expectedNextRunAt,
    );
    if (changes !== 1) return false;
    // Idempotency-key conflicts are left out by write(), as for any batch.
    if (claim.tasks.length > 0) write(claim.tasks);
    return true;
  });
  const recordOutcome = db.transaction(
    (jobId: string, taskId: string, outcome: JobRunOutcome, now: number): void => {
      const stored = activeRuns.get(jobId) as string | undefined;
      if (stored === undefined) return;
      const runs = (JSON.parse(stored) as string[]).filter((id) => id !== taskId);
      setOutcome.run(JSON.stringify(runs), outcome, now, jobId);
    },
  );

  return {
    list: () => (list.all() as JobRow[]).map(fromJobRow),
    get: (id) => {
      const row = get.get(id) as JobRow | undefined;
      return row ? fromJobRow(row) : null;
    },
    register: (job, now) =>
      fromJobRow(
        register.get({
          id: job.id,
          taskName: job.taskName,
          trigger: JSON.stringify(job.trigger),
          definitionHash: job.definitionHash,
          options: JSON.stringify(job.options),
          nextRunAt: job.nextRunAt,
          lastRunAt: job.lastRunAt,
          lastOutcome: job.lastOutcome,
          paused: job.paused ? 1 : 0,
          activeRuns: JSON.stringify(job.activeRuns),
          updatedAt: job.updatedAt,
          now,
        }) as JobRow,
      ),
    markOrphans: (declaredIds) => {
      const ids = JSON.stringify(declaredIds);
      markOrphans.run(ids, ids);
    },
    remove: (id) => remove.run(id).changes > 0,
    setPaused: (id, paused, now) => setPaused.run(paused ? 1 : 0, now, id).changes > 0,
    claimTick: (claim, now) => claimTick.immediate(claim, now),
    recordOutcome: (jobId, taskId, outcome, now) => recordOutcome.immediate(jobId, taskId, outcome, now),
    due: (now, limit) => (due.all(now, limit) as JobRow[]).map(fromJobRow),
  };
}

/**
 * `backend.schedules` of `SqliteBackend`: the jobs of `@errand/scheduler`
 * in the `<prefix>jobs` table. Usable once the backend is open.
 */
export class SqliteScheduleStore implements ScheduleStore {
  readonly #statements: () => ScheduleStatements;

  constructor(statements: () => ScheduleStatements) {
    this.#statements = statements;
  }

  async list(): Promise<StoredJob[]> {
    return this.#statements().list();
  }

  async get(id: string): Promise<StoredJob | null> {
    return this.#statements().get(id);
  }

  async register(job: StoredJob): Promise<StoredJob> {
    return this.#statements().register(job, Date.now());
  }

  async markOrphans(declaredIds: readonly string[]): Promise<void> {
    this.#statements().markOrphans(declaredIds);
  }

  async remove(id: string): Promise<boolean> {
    return this.#statements().remove(id);
  }

  async setPaused(id: string, paused: boolean): Promise<boolean> {
    return this.#statements().setPaused(id, paused, Date.now());
  }

  async claimTick(claim: TickClaim): Promise<boolean> {
    return this.#statements().claimTick(claim, Date.now());
  }

  async recordOutcome(jobId: string, taskId: string, outcome: JobRunOutcome): Promise<void> {
    this.#statements().recordOutcome(jobId, taskId, outcome, Date.now());
  }

  async due(now: number, limit: number): Promise<StoredJob[]> {
    return this.#statements().due(now, limit);
  }
}
