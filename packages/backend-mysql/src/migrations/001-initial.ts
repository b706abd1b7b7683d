import { claimableSql, KEY_HOLDING_SQL, type Migration, mysqlDialect } from '@errand/sql';
import type { Tables } from '../tables.js';

// Compared strings are VARBINARY (byte-exact); `active_key` is the key while the status holds it, so its UNIQUE
// index is the idempotency constraint; JSON is LONGTEXT (MySQL's JSON rewrites it). See the README.
export const initial: Migration<Tables> = {
  version: 1,
  description: 'tasks and instances tables',
  statements: (t) => [
    `CREATE TABLE IF NOT EXISTS ${t.tasks} (
      id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      name VARBINARY(1020) NOT NULL, queue VARBINARY(1020) NOT NULL, priority INT NOT NULL,
      tags LONGTEXT NOT NULL, args LONGTEXT NOT NULL,
      status VARCHAR(11) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      attempt INT NOT NULL, max_attempts INT NOT NULL,
      created_at BIGINT NOT NULL, started_at BIGINT NULL, finished_at BIGINT NULL, duration DOUBLE NULL,
      run_at BIGINT NOT NULL, error LONGTEXT NULL, stack LONGTEXT NULL, logs LONGTEXT NOT NULL,
      progress DOUBLE NULL, result LONGTEXT NOT NULL, idempotency_key VARBINARY(1020) NULL,
      owner VARBINARY(1020) NULL, requeue_on_interrupt TINYINT(1) NOT NULL,
      active_key VARBINARY(1020) AS (IF(status IN ${KEY_HOLDING_SQL}, idempotency_key, NULL)) STORED,
      claimable TINYINT AS (IF(${claimableSql(mysqlDialect)}, 1, NULL)) STORED,
      PRIMARY KEY (id), UNIQUE KEY active_key (active_key), KEY created (created_at, id),
      KEY status_created (status, created_at, id), KEY name_created (name, created_at, id),
      KEY idempotency_key (idempotency_key), KEY claim (claimable, created_at, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    `CREATE TABLE IF NOT EXISTS ${t.instances} (
      id VARBINARY(1020) NOT NULL, expires_at BIGINT NOT NULL, started_at BIGINT NOT NULL,
      meta LONGTEXT NOT NULL, PRIMARY KEY (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ],
};
