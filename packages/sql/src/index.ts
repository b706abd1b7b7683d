/**
 * `@errand/sql`: what Errand's SQLite, PostgreSQL and MySQL/MariaDB backends
 * share, with no driver inside. Each backend keeps only its DDL, its
 * dialect-specific statements and its driver glue.
 */
export { type AggregateStatements, aggregateFromRows, aggregateStatements } from './aggregate.js';
export { SqlBackend, type SqlBackendParts, type SqlTables, sqlTables } from './backend.js';
export {
  type ClaimFilter,
  type ClaimTables,
  claimAssignments,
  claimCandidatesWhere,
  claimOrder,
  setList,
} from './claim.js';
export { columnList, JOB_COLUMNS, TASK_COLUMNS, TRANSITION_COLUMNS, TRANSITION_FIELDS } from './columns.js';
export { literal, Params, type SqlDialect, type Statement } from './dialect.js';
export { DIALECTS, mysqlDialect, postgresDialect, sqliteDialect } from './dialects.js';
export type { AtomicOptions, Awaitable, SqlDriver } from './driver.js';
export { fencedUpdate, fenceSql, stickyCancelSql, transitionUpdate } from './fence.js';
export { cancelOutcome, cancelRequestsOf, cancelStatements, type FleetTables, selectMany } from './fleet.js';
export {
  type FlowTables,
  lockCounter,
  lockStatements,
  overrideFromRow,
  overrideStatements,
  purgeStatement,
  selectOverrides,
  semaphoreStatements,
  takeFromBucket,
  writeCounter,
} from './flow.js';
export { historyCounts, historyPage, historyWhere } from './history.js';
export { type Migration, type MigrationDriver, type MigrationReport, runMigrations } from './migrate.js';
export {
  acquireProcedure,
  aggregateProcedure,
  cancelProcedure,
  getManyProcedure,
  heartbeatProcedure,
  overrideProcedure,
  type Procedure,
  releaseProcedure,
  runProcedure,
  type StatementResult,
  takeTokensProcedure,
  tryLockProcedure,
} from './procedures.js';
export { json, text } from './rows.js';
export { type JobTables, jobStatements, type ScheduleHost, sqlScheduleStore } from './schedules.js';
export { claimableSql, col, FINISHED_SQL, KEY_HOLDING_SQL, keyHoldingSql, statusList } from './statuses.js';
export { isTransition } from './write-kinds.js';
