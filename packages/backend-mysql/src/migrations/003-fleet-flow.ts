import type { Migration } from '@errand/sql';
import type { Tables } from '../tables.js';

const OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

// The columns first, alone: an instant change (with an index build too it would copy the table). Each ALTER
// is atomic, so a rerun stops at its first clause (see the driver). `headers` is NULL only in the rows of
// earlier releases, which read as {}: MySQL has no literal default for a TEXT column. `claim_order` serves the claim's order
// (MariaDB before 10.8 ignores DESC: a sort of the claimable rows only); `finished` serves purge (one status,
// oldest first) and aggregate; `cancel_requests` the heartbeat's reply.
export const fleetFlow: Migration<Tables> = {
  version: 3,
  description: 'cancel requests, expiry, headers, claim order, finished index, flow-control tables',
  statements: (t) => [
    `ALTER TABLE ${t.tasks} ADD COLUMN cancel_requested TINYINT(1) NOT NULL DEFAULT 0,
      ADD COLUMN expires_at BIGINT NULL, ADD COLUMN headers LONGTEXT NULL`,
    `ALTER TABLE ${t.tasks} DROP INDEX claim, ADD KEY claim_order (claimable, priority DESC, created_at, id),
      ADD KEY finished (status, finished_at), ADD KEY cancel_requests (cancel_requested, status, owner)`,
    `CREATE TABLE IF NOT EXISTS ${t.queues} (name VARBINARY(1020) NOT NULL, paused TINYINT(1) NULL,
      concurrency INT NULL, global_concurrency INT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (name)) ${OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS ${t.counters} (\`key\` VARBINARY(1020) NOT NULL, value DOUBLE NOT NULL,
      at BIGINT NOT NULL, PRIMARY KEY (\`key\`)) ${OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS ${t.semaphores} (\`key\` VARBINARY(1020) NOT NULL, holder VARBINARY(1020) NOT NULL,
      units INT NOT NULL, PRIMARY KEY (\`key\`, holder)) ${OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS ${t.locks} (name VARBINARY(1020) NOT NULL, holder VARBINARY(1020) NOT NULL,
      expires_at BIGINT NOT NULL, PRIMARY KEY (name)) ${OPTIONS}`,
  ],
};
