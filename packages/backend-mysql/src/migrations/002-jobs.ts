import type { Migration } from '@errand/sql';
import type { Tables } from '../tables.js';

/** The jobs of `@errand/scheduler`; `due` serves `due()`: two equality columns, then a range in order. */
export const jobs: Migration<Tables> = {
  version: 2,
  description: 'scheduler jobs table',
  statements: (t) => [
    `CREATE TABLE IF NOT EXISTS ${t.jobs} (
      id VARBINARY(1020) NOT NULL, task_name VARBINARY(1020) NOT NULL, \`trigger\` LONGTEXT NOT NULL,
      definition_hash VARBINARY(1020) NOT NULL, options LONGTEXT NOT NULL,
      next_run_at BIGINT NULL, last_run_at BIGINT NULL,
      last_outcome VARCHAR(11) CHARACTER SET ascii COLLATE ascii_bin NULL,
      paused TINYINT(1) NOT NULL, orphaned TINYINT(1) NOT NULL, active_runs LONGTEXT NOT NULL,
      updated_at BIGINT NOT NULL, PRIMARY KEY (id), KEY due (paused, orphaned, next_run_at, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ],
};
