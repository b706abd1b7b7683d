import { type MigrationDriver, mysqlDialect, runMigrations } from '@errand/sql';
import { Db } from '../connection.js';
import type { Tables } from '../tables.js';
import { initial } from './001-initial.js';
import { jobs } from './002-jobs.js';
import { fleetFlow } from './003-fleet-flow.js';

/** Append-only. DDL commits implicitly, so each statement is idempotent: a run cut short runs again. */
export const MIGRATIONS = [initial, jobs, fleetFlow];
/** The time limit of the lock wait and the DDL: an (online) index build on a large history outlasts a call. */
export const MIGRATION_MS = 600_000;

// Server-wide: scoped to the database and the table prefix (bound as `?`).
const LOCK = "CONCAT('errand.', SHA1(CONCAT(IFNULL(DATABASE(), ''), '.', ?)))";
const META = `(version INT NOT NULL, description VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL,
  PRIMARY KEY (version)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

// DDL cannot roll back: a named lock on `db`'s one connection, not a transaction, keeps migrations apart.
const driver = (db: Db, t: Tables, ddl = new Db(db.pool, MIGRATION_MS, db.connection)): MigrationDriver => ({
  async exclusive(work) {
    const wait = Math.floor(MIGRATION_MS / 1000) - 1;
    const [row] = await ddl.rows(`SELECT GET_LOCK(${LOCK}, ?) AS locked`, [t.prefix, wait]);
    if (Number(row!.locked) !== 1) throw new Error(`timed out waiting for another migration of ${t.meta}`);
    const result = await work();
    await db.query(`DO RELEASE_LOCK(${LOCK})`, [t.prefix]);
    return result;
  },
  async readVersion() {
    await db.query(`CREATE TABLE IF NOT EXISTS ${t.meta} ${META}`);
    return Number((await db.rows(`SELECT COALESCE(MAX(version), 0) AS v FROM ${t.meta}`))[0]!.v);
  },
  // The same read without the lock or the DDL; no ledger yet (1146) is a store never migrated.
  peekVersion: () =>
    db.rows(`SELECT COALESCE(MAX(version), 0) AS v FROM ${t.meta}`).then(
      ([row]) => Number(row!.v),
      (error) => (error?.errno === 1146 ? 0 : Promise.reject(error)),
    ),
  // MySQL has no ADD COLUMN IF NOT EXISTS: a duplicate column or index, or a dropped index gone, means an
  // (atomic) ALTER of a run cut short before its ledger row was applied already.
  execute: (sql) =>
    ddl.query(sql).then(
      () => {},
      (error) => {
        if (![1060, 1061, 1091].includes(error?.errno)) throw error;
      },
    ),
  async record({ version, description }) {
    const sql = `INSERT INTO ${t.meta} (version, description, applied_at) VALUES (?, ?, ${mysqlDialect.now})`;
    await db.query(sql, [version, description]);
  },
});

/**
 * Checks the server, migrates to the newest schema (or `target`, for tests) and returns
 * `max_allowed_packet`; `existingOnly` only checks that the tables are there and current.
 */
export async function migrate(db: Db, t: Tables, target?: number, existingOnly = false): Promise<number> {
  const [server] = await db.rows(
    'SELECT VERSION() AS version, DATABASE() AS db, @@max_allowed_packet AS packet',
  );
  const { version, db: database, packet } = server!;
  if (database === null)
    throw new Error('no database selected: name one in the URL or the `database` option');
  // SKIP LOCKED needs MySQL 8.0.1+ or MariaDB 10.6+.
  const [major = 0, minor = 0] = String(version).split('.').map(Number);
  if (/mariadb/i.test(version) ? major * 100 + minor < 1006 : major < 8)
    throw new Error(`server ${version} is too old: @errand/backend-mysql needs MySQL 8.0+ or MariaDB 10.6+`);
  const store = `the MySQL tables with prefix "${t.prefix}"`;
  await runMigrations(driver(db, t), MIGRATIONS, t, {
    store,
    packageName: '@errand/backend-mysql',
    target,
    existingOnly,
  });
  return Number(packet);
}
