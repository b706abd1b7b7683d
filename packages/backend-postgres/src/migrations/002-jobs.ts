import type { Tables } from '../tables.js';

/**
 * Schema 2: one row per job of `@errand/scheduler` (APScheduler's `apscheduler_jobs`), with the
 * conventions of schema 1. `jobs_due` holds only jobs that can fire, in the order `due()` reads.
 */
export function jobsSchema(t: Tables): string {
  return `
CREATE TABLE ${t.jobs} (
  id text COLLATE "C" PRIMARY KEY, task_name text NOT NULL, trigger json NOT NULL,
  definition_hash text NOT NULL, options json NOT NULL, next_run_at bigint, last_run_at bigint,
  last_outcome text, paused boolean NOT NULL, orphaned boolean NOT NULL, active_runs json NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX ${t.index('jobs_due')} ON ${t.jobs} (next_run_at, id)
  WHERE next_run_at IS NOT NULL AND NOT paused AND NOT orphaned;`;
}
