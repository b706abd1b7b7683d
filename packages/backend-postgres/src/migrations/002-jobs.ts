import type { Tables } from '../tables.js';

/**
 * Schema version 2: the jobs of `@errand/scheduler`, one row per job (the
 * counterpart of APScheduler's `apscheduler_jobs`).
 *
 * Same conventions as the first schema: epoch-ms BIGINT times, `json` for
 * the trigger, options and active run ids (stored as written, never queried
 * inside), ids sorted bytewise. The `jobs_due` index holds only jobs that
 * can fire, in the order `due()` reads them.
 */
export function jobsSchema(t: Tables): string {
  const index = (name: string) => `"${t.indexPrefix}${name}"`;
  return `
CREATE TABLE ${t.jobs} (
  id text COLLATE "C" PRIMARY KEY,
  task_name text NOT NULL,
  trigger json NOT NULL,
  definition_hash text NOT NULL,
  options json NOT NULL,
  next_run_at bigint,
  last_run_at bigint,
  last_outcome text,
  paused boolean NOT NULL,
  orphaned boolean NOT NULL,
  active_runs json NOT NULL,
  updated_at bigint NOT NULL
);

CREATE INDEX ${index('jobs_due')} ON ${t.jobs} (next_run_at, id)
  WHERE next_run_at IS NOT NULL AND NOT paused AND NOT orphaned;
`;
}
