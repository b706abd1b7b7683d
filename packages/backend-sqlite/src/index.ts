export type { BackupJobOptions, BackupOptions, BackupResult } from './backup.js';
export { SqliteBackend, type SqliteBackendOptions } from './sqlite-backend.js';
