// Loads the public types of every published package, so that the strict compile
// (skipLibCheck: false) checks each .d.ts and whatever types it imports (pg, better-sqlite3).
// Not `@errand/core/testing`: it is for backend authors' test suites and its types need vitest
// (an optional peer) installed, which an application project does not have.
export type * as backendMysql from '@errand/backend-mysql';
export type * as backendPostgres from '@errand/backend-postgres';
export type * as backendRedis from '@errand/backend-redis';
export type * as backendSqlite from '@errand/backend-sqlite';
export type * as core from '@errand/core';
export type * as scheduler from '@errand/scheduler';
