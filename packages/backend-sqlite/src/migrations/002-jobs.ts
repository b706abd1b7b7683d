import type { Migration } from '@errand/sql';

// The jobs of @errand/scheduler. The partial index holds only the jobs that can
// fire, in the order due() reads them.
export const jobs: Migration<string> = {
  version: 2,
  description: 'scheduler jobs',
  statements: (p) => [
    `CREATE TABLE ${p}jobs (
      id TEXT PRIMARY KEY NOT NULL, task_name TEXT NOT NULL, "trigger" TEXT NOT NULL,
      definition_hash TEXT NOT NULL, options TEXT NOT NULL DEFAULT '{}', next_run_at INTEGER,
      last_run_at INTEGER, last_outcome TEXT, paused INTEGER NOT NULL DEFAULT 0,
      orphaned INTEGER NOT NULL DEFAULT 0, active_runs TEXT NOT NULL DEFAULT '[]', updated_at INTEGER NOT NULL
    ) WITHOUT ROWID`,
    `CREATE INDEX ${p}jobs_due ON ${p}jobs (next_run_at, id)
      WHERE next_run_at IS NOT NULL AND paused = 0 AND orphaned = 0`,
  ],
};
