export type { AnyPool } from './connection.js';
export {
  MysqlBackend,
  type MysqlBackendCommonOptions,
  type MysqlBackendOptions,
  type MysqlConnectOptions,
  type MysqlExistingPoolOptions,
} from './mysql-backend.js';
