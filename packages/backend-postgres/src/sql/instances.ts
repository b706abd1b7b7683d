import { cancelRequestsOf, postgresDialect, selectOverrides } from '@errand/sql';
import type { Tables } from '../tables.js';

const NOW = postgresDialect.now;
/** How long an expired heartbeat row stays visible to `instances()` (health output). */
const RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * The heartbeat in one round trip, on the store clock: the renewal, and the reply read from the
 * same snapshot. Rows long expired are purged in passing, so ids that change at every deploy do
 * not pile up. `$1` instance id, `$2` ttl, `$3` meta.
 */
export function heartbeatStatement(t: Tables): string {
  // Its one placeholder, $1, is the instance id, as in the heartbeat.
  const cancelRequests = cancelRequestsOf(t, '', postgresDialect).sql;
  return `WITH clock AS (SELECT ${NOW} AS ms),
purged AS (DELETE FROM ${t.instances} WHERE id <> $1 AND expires_at < (SELECT ms FROM clock) - ${RETENTION_MS}),
renewed AS (INSERT INTO ${t.instances} (id, expires_at, started_at, meta)
  SELECT $1, clock.ms + $2::bigint, clock.ms, $3::json FROM clock
  ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at, meta = EXCLUDED.meta)
SELECT COALESCE((SELECT json_agg(c.id) FROM (${cancelRequests}) c), '[]') AS "cancelRequests",
  COALESCE((SELECT json_agg(q) FROM (${selectOverrides(t).sql}) q), '[]') AS queues`;
}
