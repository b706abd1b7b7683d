import type { Tables } from '../tables.js';
import type { Migration } from './index.js';

/**
 * The first schema: tasks, heartbeats.
 *
 * Choices that matter for correctness:
 * - `name`, `queue`, `owner`, `idempotency_key` and instance ids are
 *   VARBINARY: comparisons are byte-exact, as in every other backend. A
 *   `utf8mb4_bin` column would still treat `'k'` and `'k '` as equal (PAD
 *   SPACE), and the NO PAD binary collations differ between MySQL and MariaDB.
 * - `active_key` holds the idempotency key only while the status holds it,
 *   so its UNIQUE index is the cross-instance idempotency constraint (MySQL
 *   and MariaDB have no partial indexes; NULLs never collide).
 * - `claimable` lets `claim()` walk one index in `(created_at, id)` order and
 *   stop after `limit` rows instead of sorting every unfinished row.
 * - JSON lives in LONGTEXT: MySQL's JSON type rewrites the text (key order,
 *   numbers) and MariaDB's is LONGTEXT anyway.
 * - Every statement is idempotent (CREATE ... IF NOT EXISTS with its indexes
 *   inline): DDL commits implicitly, so a run interrupted half-way is simply
 *   run again. MySQL 8 has no CREATE INDEX IF NOT EXISTS, hence inline indexes.
 */
export const initial: Migration = {
  version: 1,
  description: 'tasks and instances tables',
  statements: (t: Tables) => [
    `CREATE TABLE IF NOT EXISTS ${t.tasks} (
      id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      name VARBINARY(1020) NOT NULL,
      queue VARBINARY(1020) NOT NULL,
      priority INT NOT NULL,
      tags LONGTEXT NOT NULL,
      args LONGTEXT NOT NULL,
      status VARCHAR(11) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      attempt INT NOT NULL,
      max_attempts INT NOT NULL,
      created_at BIGINT NOT NULL,
      started_at BIGINT NULL,
      finished_at BIGINT NULL,
      duration DOUBLE NULL,
      run_at BIGINT NOT NULL,
      error LONGTEXT NULL,
      stack LONGTEXT NULL,
      logs LONGTEXT NOT NULL,
      progress DOUBLE NULL,
      result LONGTEXT NOT NULL,
      idempotency_key VARBINARY(1020) NULL,
      owner VARBINARY(1020) NULL,
      requeue_on_interrupt TINYINT(1) NOT NULL,
      active_key VARBINARY(1020) AS
        (IF(status IN ('pending', 'running', 'success', 'interrupted'), idempotency_key, NULL)) STORED,
      claimable TINYINT AS
        (IF(status IN ('pending', 'running') OR (status = 'interrupted' AND requeue_on_interrupt = 1), 1, NULL)) STORED,
      PRIMARY KEY (id),
      UNIQUE KEY active_key (active_key),
      KEY created (created_at, id),
      KEY status_created (status, created_at, id),
      KEY name_created (name, created_at, id),
      KEY idempotency_key (idempotency_key),
      KEY claim (claimable, created_at, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    `CREATE TABLE IF NOT EXISTS ${t.instances} (
      id VARBINARY(1020) NOT NULL,
      expires_at BIGINT NOT NULL,
      started_at BIGINT NOT NULL,
      meta LONGTEXT NOT NULL,
      PRIMARY KEY (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ],
};
