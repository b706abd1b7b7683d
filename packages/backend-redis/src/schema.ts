/**
 * Version of the key layout below, stored in `<base>meta` (field
 * `version`). A store holding a newer version is refused at `open()`, so
 * a later layout change can migrate instead of corrupting; an older one is
 * migrated forward by the open script (`scripts/open.ts`, one numbered
 * step per version: 002 added the scheduler jobs).
 *
 * Layout (base = `{errand}:` for the default prefix):
 * - `task:<id>`            hash: name, status, createdAt, owner?, key?,
 *                          requeue, finishedAt?, error?, errorLower?, body
 * - `idx:all`              zset id -> createdAt (every record)
 * - `idx:status:<status>`  zset id -> createdAt
 * - `idx:name:<name>`      zset id -> createdAt
 * - `idx:key:<key>`        zset id -> createdAt (every record with that key)
 * - `keys`                 hash idempotency key -> id of the record holding it
 * - `open`, `open:<token>` set of buckets; zset id -> createdAt of the
 *                          claimable records of one (owner, name)
 * - `expiry`               zset id -> time to delete (retention)
 * - `instances`            zset instance id -> expiresAt (store clock),
 *   `instances:started`,   hashes id -> startedAt / meta JSON
 *   `instances:meta`
 * - `job:<id>`             hash: taskName, trigger (JSON), definitionHash,
 *                          options (JSON), nextRunAt?, lastRunAt?,
 *                          lastOutcome?, paused, orphaned, activeRuns
 *                          (JSON), updatedAt (since version 2)
 * - `jobs`                 zset job id -> 0 (every job, listed in id order)
 * - `jobs:due`             zset job id -> nextRunAt, while not paused, not
 *                          orphaned and nextRunAt is set
 * - `meta`                 hash: version, createdAt, migratedAt?
 */
export const SCHEMA_VERSION = 2;
