import type { Tables } from '../tables.js';
import { STORE_NOW } from './clock.js';

/** How long an expired heartbeat row stays visible to `instances()` (health output) before a heartbeat purges it. */
export const EXPIRED_INSTANCE_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface InstanceRow {
  id: string;
  expires_at: string | number | bigint;
  started_at: string | number | bigint;
  meta: Record<string, unknown>;
}

/**
 * Registers or renews a heartbeat on the store clock: `$1` id, `$2` ttl ms,
 * `$3` meta JSON. `started_at` is kept from the first call. Rows of instances
 * that expired long ago are purged in passing, so instance ids that change at
 * every deploy do not pile up; the caller's own row is left to the upsert.
 */
export function heartbeatStatement(t: Tables): string {
  return `
WITH clock AS (SELECT ${STORE_NOW} AS ms),
purged AS (
  DELETE FROM ${t.instances}
  WHERE id <> $1 AND expires_at < (SELECT ms FROM clock) - ${EXPIRED_INSTANCE_RETENTION_MS}
)
INSERT INTO ${t.instances} (id, expires_at, started_at, meta)
SELECT $1, clock.ms + $2::bigint, clock.ms, $3::json FROM clock
ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at, meta = EXCLUDED.meta`;
}

export function removeInstanceStatement(t: Tables): string {
  return `DELETE FROM ${t.instances} WHERE id = $1`;
}

export function listInstancesStatement(t: Tables): string {
  return `SELECT id, expires_at, started_at, meta FROM ${t.instances} ORDER BY id`;
}

export const NOW_STATEMENT = `SELECT ${STORE_NOW} AS now`;
