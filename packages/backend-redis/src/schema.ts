/**
 * Version of the key layout below, stored in `<base>meta` (field
 * `version`). A store holding a newer version is refused at `open()`, so
 * a later layout change can migrate instead of corrupting.
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
 * - `meta`                 hash: version, createdAt
 */
export const SCHEMA_VERSION = 1;
