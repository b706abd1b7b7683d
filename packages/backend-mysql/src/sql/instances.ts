import type { Tables } from '../tables.js';
import { STORE_NOW } from './clock.js';

/** Insert or renew; `started_at` keeps its first value. Binds id, ttl, meta. */
export function upsertHeartbeat(tables: Tables): string {
  return `INSERT INTO ${tables.instances} (id, expires_at, started_at, meta)
    VALUES (?, ${STORE_NOW} + ?, ${STORE_NOW}, ?)
    ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at), meta = VALUES(meta)`;
}

export function deleteInstance(tables: Tables): string {
  return `DELETE FROM ${tables.instances} WHERE id = ?`;
}

export function selectInstances(tables: Tables): string {
  return `SELECT id, expires_at, started_at, meta FROM ${tables.instances} ORDER BY id`;
}

export const SELECT_NOW = `SELECT ${STORE_NOW} AS now`;
