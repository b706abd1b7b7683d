import {
  decodeFields,
  encodeFields,
  type FieldCodec,
  JOB_FIELDS,
  type JobRunOutcome,
  type ScheduleStore,
  type StoredJob,
  type TaskRecord,
  type TickClaim,
  type TickClaimResult,
  type WriteResult,
} from '@errand/core';
import { Params, type SqlDialect, type Statement } from './dialect.js';
import type { Awaitable, SqlDriver } from './driver.js';
import type { Procedure } from './procedures.js';
import { json } from './rows.js';

/** The scheduler's table (created by each store's migration 2). */
export interface JobTables {
  jobs: string;
}

/** Replaced on `register()` when the definition hash changed; the run state stays. */
const DEFINITION = ['task_name', 'trigger', 'options', 'next_run_at'];

/**
 * The statements of the `ScheduleStore` over one jobs table, each bound in the order its
 * placeholders appear. Booleans are literals (better-sqlite3 cannot bind one); times are whole ms.
 */
export function jobStatements(t: JobTables, dialect: SqlDialect) {
  const columns = JOB_FIELDS.map((field) => dialect.quote(field.column)).join(', ');
  const { now, time } = dialect;
  const bind = (sql: (p: Params) => string): Statement => {
    const p = new Params(dialect);
    return { sql: sql(p), values: p.values, prepared: true };
  };
  const byId = (p: Params, id: string) => `WHERE id = ${p.add(id)}`;
  // The stored row by the table's name: PostgreSQL finds a bare column ambiguous with EXCLUDED's.
  const changed = `${t.jobs}.definition_hash <> ${dialect.incoming('definition_hash')}`;
  const replace = (column: string, value = dialect.incoming(column)) =>
    `${column} = CASE WHEN ${changed} THEN ${value} ELSE ${t.jobs}.${column} END`;
  // `definition_hash` last: MySQL assigns left to right, and each assignment above compares the stored one.
  const update = [
    `orphaned = ${dialect.bool(false)}`,
    ...DEFINITION.map((column) => replace(dialect.quote(column))),
    replace('updated_at', now),
    `definition_hash = ${dialect.incoming('definition_hash')}`,
  ];
  return {
    list: () => bind(() => `SELECT ${columns} FROM ${t.jobs} ORDER BY id`),
    get: (id: string) => bind((p) => `SELECT ${columns} FROM ${t.jobs} ${byId(p, id)}`),
    /** One upsert (with `RETURNING` where the engine has it), so that instances starting at once cannot interleave. */
    register: (values: readonly unknown[]) =>
      bind(
        (p) =>
          `INSERT INTO ${t.jobs} (${columns}) VALUES (${values.map((value) => p.add(value)).join(', ')})
          ${dialect.onConflict(['id'], update)}${dialect.returning ? ` RETURNING ${columns}` : ''}`,
      ),
    /** Touches only the rows whose flag changes; with nothing declared, every job is an orphan. */
    markOrphans: (ids: readonly string[]) =>
      bind((p) => {
        const orphan = () => `(NOT (${ids.length > 0 ? dialect.inList('id', ids, p) : dialect.bool(false)}))`;
        return `UPDATE ${t.jobs} SET orphaned = ${orphan()} WHERE orphaned <> ${orphan()}`;
      }),
    remove: (id: string) => bind((p) => `DELETE FROM ${t.jobs} ${byId(p, id)}`),
    setPaused: (id: string, paused: boolean) =>
      bind(
        (p) => `UPDATE ${t.jobs} SET paused = ${dialect.bool(paused)}, updated_at = ${now} ${byId(p, id)}`,
      ),
    /** The compare-and-set of a tick on the `next_run_at` its claimer saw. */
    claimTick: (claim: TickClaim) =>
      bind(
        (p) => `UPDATE ${t.jobs} SET next_run_at = ${time(p.add(ms(claim.nextRunAt)))},
          active_runs = ${p.add(JSON.stringify(claim.activeRuns))}, last_run_at = ${time(p.add(ms(claim.lastRunAt)))},
          last_outcome = COALESCE(${p.add(claim.lastOutcome)}, last_outcome), updated_at = ${now}
        ${byId(p, claim.jobId)} AND next_run_at = ${time(p.add(ms(claim.expectedNextRunAt)))}`,
      ),
    setActiveRuns: (id: string, runs: readonly string[]) =>
      bind((p) => `UPDATE ${t.jobs} SET active_runs = ${p.add(JSON.stringify(runs))} ${byId(p, id)}`),
    /** `active_runs` under the row's lock, for the transaction that writes it back. */
    lockRuns: (id: string) =>
      bind((p) => `SELECT active_runs FROM ${t.jobs} ${byId(p, id)}${dialect.forUpdate}`),
    recordOutcome: (id: string, runs: readonly string[], outcome: JobRunOutcome) =>
      bind(
        (p) => `UPDATE ${t.jobs} SET active_runs = ${p.add(JSON.stringify(runs))},
          last_outcome = ${p.add(outcome)}, updated_at = ${now} ${byId(p, id)}`,
      ),
    /** Spelled as each store's partial or composite `due` index has it, and read in its order. */
    due: (at: number, limit: number) =>
      bind(
        (p) => `SELECT ${columns} FROM ${t.jobs}
        WHERE next_run_at IS NOT NULL AND paused = ${dialect.bool(false)} AND orphaned = ${dialect.bool(false)}
          AND next_run_at <= ${time(p.add(Math.floor(at)))} ORDER BY next_run_at, id LIMIT ${p.add(limit)}`,
      ),
  };
}

const ms = (value: number | null) => (value === null ? null : Math.round(value));

/** What the schedule store borrows from its backend. */
export interface ScheduleHost<D extends SqlDriver> {
  dialect: SqlDialect;
  tables: JobTables;
  /** How the store encodes a job's fields and decodes its rows. */
  codec: FieldCodec;
  /** One store call through the backend's `StoreCaller` (`InvalidStateError` while not open). */
  call<T>(operation: string, work: (driver: D) => Awaitable<T>): Promise<T>;
  /** The backend's `write()` as a procedure, for the tasks of a tick inside its transaction. */
  write(records: readonly TaskRecord[]): Procedure<WriteResult>;
}

/**
 * `backend.schedules` of a SQL store: the jobs of `@errand/scheduler` in its jobs table. A tick's
 * claim is one transaction: the compare-and-set, and only when it matched, the tick's tasks through
 * the backend's own write (fencing and idempotency keys as usual) and `active_runs` without a run
 * refused for a held key. A claim without tasks is the compare-and-set alone.
 */
export function sqlScheduleStore<D extends SqlDriver>(host: ScheduleHost<D>): ScheduleStore {
  const sql = jobStatements(host.tables, host.dialect);
  const job = (row: Record<string, unknown>) => decodeFields<StoredJob>(JOB_FIELDS, row, host.codec);
  const rows = (operation: string, statement: () => Statement) =>
    host.call(`schedules.${operation}`, async (d) => (await d.execute(statement())).rows);
  const changed = (operation: string, statement: () => Statement) =>
    host.call(`schedules.${operation}`, async (d) => (await d.execute(statement())).changes > 0);

  function* register(values: unknown[], id: string): Procedure<Record<string, unknown> | undefined> {
    yield sql.register(values);
    return (yield sql.get(id)).rows[0];
  }

  function* tick(claim: TickClaim): Procedure<TickClaimResult> {
    if ((yield sql.claimTick(claim)).changes < 1) return { won: false, conflicts: [] };
    if (claim.tasks.length === 0) return { won: true, conflicts: [] };
    const { conflicts } = yield* host.write(claim.tasks);
    // A run refused for a held key never runs: it must not count against maxInstances.
    const refused = new Set(conflicts.map((conflict) => conflict.id));
    if (refused.size > 0)
      yield sql.setActiveRuns(
        claim.jobId,
        claim.activeRuns.filter((id) => !refused.has(id)),
      );
    return { won: true, conflicts };
  }

  function* recordOutcome(jobId: string, taskId: string, outcome: JobRunOutcome): Procedure<void> {
    const [row] = (yield sql.lockRuns(jobId)).rows;
    if (!row) return;
    const runs = (json(row.active_runs) as string[]).filter((id) => id !== taskId);
    yield sql.recordOutcome(jobId, runs, outcome);
  }

  return {
    list: async () => (await rows('list', () => sql.list())).map(job),
    get: async (id) => (await rows('get', () => sql.get(id))).map(job)[0] ?? null,
    register: (stored) => {
      const values = encodeFields(JOB_FIELDS, { ...stored, orphaned: false }, host.codec);
      return host.call('schedules.register', async (d) => {
        if (host.dialect.returning) return job((await d.execute(sql.register(values))).rows[0]!);
        return job((await d.atomically(register(values, stored.id)))!);
      });
    },
    markOrphans: async (ids) => void (await rows('markOrphans', () => sql.markOrphans(ids))),
    remove: (id) => changed('remove', () => sql.remove(id)),
    setPaused: (id, paused) => changed('setPaused', () => sql.setPaused(id, paused)),
    claimTick: (claim) =>
      host.call('schedules.claimTick', (d) =>
        claim.tasks.length === 0 ? d.separately(tick(claim)) : d.atomically(tick(claim)),
      ),
    recordOutcome: (jobId, taskId, outcome) =>
      host.call('schedules.recordOutcome', (d) => d.atomically(recordOutcome(jobId, taskId, outcome))),
    due: async (at, limit) => {
      const most = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : Number.MAX_SAFE_INTEGER;
      return (await rows('due', () => sql.due(at, most))).map(job);
    },
  };
}
