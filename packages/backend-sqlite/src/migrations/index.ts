import { type Migration, type MigrationDriver, type MigrationReport, runMigrations } from '@errand/sql';
import type Database from 'better-sqlite3';
import { initial } from './001-initial.js';
import { jobs } from './002-jobs.js';
import { fleetFlow } from './003-fleet-flow.js';

/** Every schema change, in order: schema version n is migrations 1 to n. */
export const MIGRATIONS: ReadonlyArray<Migration<string>> = [initial, jobs, fleetFlow];

// One migration at a time in this process: the lock is BEGIN IMMEDIATE, whose busy wait blocks the
// thread, so a second connection of this process waiting for it would keep the first from COMMIT.
let queue: Promise<unknown> = Promise.resolve();

/** Brings the `<prefix>*` tables to the newest schema; the ledger is every release's `<prefix>meta`. */
export function migrate(
  db: Database.Database,
  prefix: string,
  target?: number,
  existingOnly = false,
): Promise<MigrationReport> {
  const meta = `${prefix}meta`;
  const ledger = `INSERT OR REPLACE INTO ${meta} (key, value) VALUES ('schema_version', ?)`;
  const stored = () =>
    Number(db.prepare(`SELECT value FROM ${meta} WHERE key = 'schema_version'`).pluck().get() ?? 0);
  const driver: MigrationDriver = {
    async exclusive(work) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    async readVersion() {
      db.exec(`CREATE TABLE IF NOT EXISTS ${meta} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)`);
      return stored();
    },
    // Without the write lock: a process opening a current file does not wait for the writers.
    async peekVersion() {
      const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(meta);
      return exists ? stored() : 0;
    },
    execute: async (sql) => void db.exec(sql),
    record: async ({ version }) => void db.prepare(ledger).run(String(version)),
  };
  const options = {
    store: `the SQLite tables "${prefix}*"`,
    packageName: '@errand/backend-sqlite',
    target,
    existingOnly,
  };
  const run = queue.then(() => runMigrations(driver, MIGRATIONS, prefix, options));
  queue = run.catch(() => {});
  return run;
}
