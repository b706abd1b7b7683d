/** `@errand/backend-postgres`: PostgreSQL persistence for Errand. */

/** The `ScheduleStore` of `PostgresBackend`, over the `<prefix>jobs` table. */
export type { ScheduleStore as PostgresScheduleStore } from '@errand/core';
export type { PostgresBackendOptions, PostgresConnection } from './connection.js';
export { SCHEMA_VERSION } from './migrations/index.js';
export { PostgresBackend } from './postgres-backend.js';
