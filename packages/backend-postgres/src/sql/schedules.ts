import type { JobRunOutcome, StoredJob, StoredTrigger } from '@errand/core';
import type { Tables } from '../tables.js';
import { STORE_NOW } from './clock.js';

/** One `jobs` row as `pg` returns it: BIGINTs as strings, JSON columns parsed. */
export interface JobRow {
  id: string;
  task_name: string;
  trigger: StoredTrigger;
  definition_hash: string;
  options: Record<string, unknown>;
  next_run_at: string | number | bigint | null;
  last_run_at: string | number | bigint | null;
  last_outcome: JobRunOutcome | null;
  paused: boolean;
  orphaned: boolean;
  active_runs: string[];
  updated_at: string | number | bigint;
}

function toNullableNumber(value: string | number | bigint | null): number | null {
  return value === null ? null : Number(value);
}

export function rowToJob(row: JobRow): StoredJob {
  return {
    id: row.id,
    taskName: row.task_name,
    trigger: row.trigger,
    definitionHash: row.definition_hash,
    options: row.options,
    nextRunAt: toNullableNumber(row.next_run_at),
    lastRunAt: toNullableNumber(row.last_run_at),
    lastOutcome: row.last_outcome,
    paused: row.paused,
    orphaned: row.orphaned,
    activeRuns: row.active_runs,
    updatedAt: Number(row.updated_at),
  };
}

/** Whole milliseconds, as the BIGINT columns hold them. */
function ms(value: number): number;
function ms(value: number | null): number | null;
function ms(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

/** The parameters of {@link registerStatement}, in order. */
export function jobValues(job: StoredJob): unknown[] {
  return [
    job.id,
    job.taskName,
    JSON.stringify(job.trigger),
    job.definitionHash,
    JSON.stringify(job.options ?? {}),
    ms(job.nextRunAt),
    ms(job.lastRunAt),
    job.lastOutcome,
    job.paused,
    JSON.stringify(job.activeRuns ?? []),
    ms(job.updatedAt),
  ];
}

const COLUMNS = `id, task_name, trigger, definition_hash, options, next_run_at, last_run_at, last_outcome,
  paused, orphaned, active_runs, updated_at`;

export function listJobsStatement(t: Tables): string {
  return `SELECT ${COLUMNS} FROM ${t.jobs} ORDER BY id`;
}

export function getJobStatement(t: Tables): string {
  return `SELECT ${COLUMNS} FROM ${t.jobs} WHERE id = $1`;
}

/**
 * `register()` as one upsert, so two instances declaring the same job at
 * once cannot interleave. A new id is inserted as given (not orphaned). On
 * an existing id the row is locked and re-read: with the same
 * `definition_hash` only `orphaned` is cleared; with another one the
 * definition and `next_run_at` are replaced, the run state kept.
 */
export function registerStatement(t: Tables): string {
  const changed = 'j.definition_hash IS DISTINCT FROM EXCLUDED.definition_hash';
  const replaced = ['task_name', 'trigger', 'definition_hash', 'options', 'next_run_at'];
  return `
INSERT INTO ${t.jobs} AS j (${COLUMNS})
VALUES ($1, $2, $3::json, $4, $5::json, $6::bigint, $7::bigint, $8, $9, false, $10::json, $11::bigint)
ON CONFLICT (id) DO UPDATE SET
  ${replaced.map((c) => `${c} = CASE WHEN ${changed} THEN EXCLUDED.${c} ELSE j.${c} END`).join(',\n  ')},
  updated_at = CASE WHEN ${changed} THEN ${STORE_NOW} ELSE j.updated_at END,
  orphaned = false
RETURNING ${COLUMNS}`;
}

/** `$1`: the declared ids (text[]). Touches only the rows whose flag changes. */
export function markOrphansStatement(t: Tables): string {
  return `
UPDATE ${t.jobs} SET orphaned = NOT (id = ANY($1::text[]))
WHERE orphaned IS DISTINCT FROM NOT (id = ANY($1::text[]))`;
}

export function removeJobStatement(t: Tables): string {
  return `DELETE FROM ${t.jobs} WHERE id = $1`;
}

/** `$1` id, `$2` paused. */
export function setPausedStatement(t: Tables): string {
  return `UPDATE ${t.jobs} SET paused = $2, updated_at = ${STORE_NOW} WHERE id = $1`;
}

/**
 * The compare-and-set of `claimTick`: `$1` id, `$2` expected `next_run_at`,
 * `$3` next `next_run_at`, `$4` active runs (JSON), `$5` last run, `$6` last
 * outcome (null keeps the stored one).
 *
 * Concurrent claimers of the same tick queue on the row lock; under READ
 * COMMITTED each waiter re-evaluates the WHERE on the winner's committed row
 * version, whose `next_run_at` moved on, so it matches no row.
 */
export function claimTickStatement(t: Tables): string {
  return `
UPDATE ${t.jobs} SET
  next_run_at = $3::bigint,
  active_runs = $4::json,
  last_run_at = $5::bigint,
  last_outcome = COALESCE($6::text, last_outcome),
  updated_at = ${STORE_NOW}
WHERE id = $1 AND next_run_at = $2::bigint
RETURNING id`;
}

/** The parameters of {@link claimTickStatement}, in order. */
export function claimTickValues(claim: {
  jobId: string;
  expectedNextRunAt: number;
  nextRunAt: number | null;
  activeRuns: string[];
  lastRunAt: number;
  lastOutcome: JobRunOutcome | null;
}): unknown[] {
  return [
    claim.jobId,
    ms(claim.expectedNextRunAt),
    ms(claim.nextRunAt),
    JSON.stringify(claim.activeRuns),
    ms(claim.lastRunAt),
    claim.lastOutcome,
  ];
}

/**
 * `$1` job id, `$2` task id, `$3` outcome: drops the task from
 * `active_runs` (keeping the order of the others) in the same row update.
 */
export function recordOutcomeStatement(t: Tables): string {
  return `
UPDATE ${t.jobs} SET
  active_runs = (
    SELECT COALESCE(json_agg(a.run ORDER BY a.position), '[]'::json)
    FROM json_array_elements_text(active_runs) WITH ORDINALITY AS a(run, position)
    WHERE a.run <> $2
  ),
  last_outcome = $3,
  updated_at = ${STORE_NOW}
WHERE id = $1`;
}

/**
 * `$1` now, `$2` limit. Repeats the `jobs_due` index predicate word for word
 * so the planner reads that index in `(next_run_at, id)` order and stops at
 * the limit.
 */
export function dueStatement(t: Tables): string {
  return `
SELECT ${COLUMNS} FROM ${t.jobs}
WHERE next_run_at IS NOT NULL AND NOT paused AND NOT orphaned
  AND next_run_at <= $1::bigint
ORDER BY next_run_at, id
LIMIT $2`;
}
