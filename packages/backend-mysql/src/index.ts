export type { AnyPool } from './connection.js';
export * from './mysql-backend.js';
