import type { Tables } from '../tables.js';
import type { Migration } from './index.js';

/**
 * The jobs of `@errand/scheduler` (its `ScheduleStore`): one row per job.
 *
 * - `id`, `task_name` and `definition_hash` are VARBINARY, byte-exact like
 *   the task names and keys of 001 (`list()` orders by `id` bytewise).
 * - `trigger`, `options` and `active_runs` are JSON text in LONGTEXT, so
 *   they read back exactly as written (001 explains why not `JSON`).
 *   `trigger` is a reserved word: always backtick-quoted.
 * - `due (paused, orphaned, next_run_at, id)` serves `due()`: two equality
 *   columns, then a range read in `(next_run_at, id)` order that stops after
 *   `limit` rows. Finished jobs (`next_run_at` NULL) sort first and fall
 *   outside the range.
 * - One `CREATE TABLE IF NOT EXISTS` with its index inline: idempotent, as
 *   every DDL here must be.
 */
export const jobs: Migration = {
  version: 2,
  description: 'scheduler jobs table',
  statements: (t: Tables) => [
    `CREATE TABLE IF NOT EXISTS ${t.jobs} (
      id VARBINARY(1020) NOT NULL,
      task_name VARBINARY(1020) NOT NULL,
      \`trigger\` LONGTEXT NOT NULL,
      definition_hash VARBINARY(1020) NOT NULL,
      options LONGTEXT NOT NULL,
      next_run_at BIGINT NULL,
      last_run_at BIGINT NULL,
      last_outcome VARCHAR(11) CHARACTER SET ascii COLLATE ascii_bin NULL,
      paused TINYINT(1) NOT NULL,
      orphaned TINYINT(1) NOT NULL,
      active_runs LONGTEXT NOT NULL,
      updated_at BIGINT NOT NULL,
      PRIMARY KEY (id),
      KEY due (paused, orphaned, next_run_at, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ],
};
