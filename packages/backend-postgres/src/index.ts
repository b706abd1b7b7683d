/**
 * `@errand/backend-postgres`: PostgreSQL persistence for Errand.
 *
 * ```ts
 * import { TaskManager } from '@errand/core';
 * import { PostgresBackend } from '@errand/backend-postgres';
 *
 * const manager = new TaskManager({ backend: new PostgresBackend(process.env.DATABASE_URL!) });
 * ```
 */

export { SCHEMA_VERSION } from './migrations/index.js';
export { PostgresBackend, type PostgresBackendOptions, type PostgresConnection } from './postgres-backend.js';
export type { PostgresScheduleStore } from './schedule-store.js';
