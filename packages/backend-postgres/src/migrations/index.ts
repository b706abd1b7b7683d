import { type Migration, type MigrationDriver, runMigrations } from '@errand/sql';
import type pg from 'pg';
import type { PostgresPool, Query } from '../connection.js';
import type { Tables } from '../tables.js';
import { initialSchema } from './001-initial.js';
import { jobsSchema } from './002-jobs.js';
import { fleetSchema } from './003-fleet.js';

/** Every schema change, in order. Append only: a released migration is never edited. */
export const MIGRATIONS: ReadonlyArray<Migration<Tables>> = [
  { version: 1, description: 'tasks and instance heartbeats', statements: (t) => [initialSchema(t)] },
  { version: 2, description: 'jobs of @errand/scheduler', statements: (t) => [jobsSchema(t)] },
  { version: 3, description: 'the fleet and flow control', statements: (t) => [fleetSchema(t)] },
];

/** The schema version this build of the package writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the store to {@link SCHEMA_VERSION} in one transaction under an advisory lock: instances
 * starting at once wait for the first, then find the work done. A current store costs one read. The ledger is the row
 * `schema_version` of `<prefix>meta`, as every release wrote it.
 */
export function migrate(db: PostgresPool, t: Tables, existingOnly = false) {
  let query: Query;
  const ledger = `SELECT value FROM ${t.meta} WHERE key = 'schema_version'`;
  const record = `INSERT INTO ${t.meta} VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = $1`;
  const driver: MigrationDriver = {
    exclusive: (work) =>
      db.transaction(async (inTransaction) => {
        query = inTransaction;
        // Its own statement: a READ COMMITTED statement's snapshot predates a lock wait inside it.
        await query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [t.lockKey]);
        return work();
      }),
    async readVersion() {
      // Look before creating: IF NOT EXISTS still needs a privilege that a user of the store may lack.
      const sql = 'SELECT to_regnamespace($1) AS schema, to_regclass($2) AS meta';
      const [found] = (await query(sql, [`"${t.schemaName}"`, t.meta])).rows;
      if (!found!.schema) await query(`CREATE SCHEMA "${t.schemaName}"`);
      if (!found!.meta) await query(`CREATE TABLE ${t.meta} (key text PRIMARY KEY, value text NOT NULL)`);
      const [stored] = (await query(ledger)).rows;
      return stored ? Number(stored.value) : 0;
    },
    // One read on any connection; a store not created yet has no ledger to read.
    peekVersion: () =>
      db.query(ledger).then(
        ({ rows }) => (rows[0] ? Number(rows[0].value) : 0),
        (error: pg.DatabaseError) =>
          ['42P01', '3F000'].includes(error.code ?? '') ? 0 : Promise.reject(error),
      ),
    execute: async (sql) => void (await query(sql)),
    record: async ({ version }) => void (await query(record, [String(version)])),
  };
  const store = `the Errand tables in schema "${t.schemaName}"`;
  return runMigrations(driver, MIGRATIONS, t, {
    store,
    packageName: '@errand/backend-postgres',
    existingOnly,
  });
}
