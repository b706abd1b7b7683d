import { SchemaVersionError } from '@errand/core';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { LATEST_VERSION, MIGRATIONS } from './migrations/index.js';
import { STORE_NOW } from './sql/clock.js';
import type { Tables } from './tables.js';

/** Seconds to wait for another instance's migration before giving up. */
const LOCK_TIMEOUT_SECONDS = 30;

/** Lock names are server-wide: scope ours to the database and the table prefix (bound as `?`). */
const LOCK_NAME = "CONCAT('errand.', SHA1(CONCAT(IFNULL(DATABASE(), ''), '.', ?)))";

/** What `open()` learns about the server while migrating. */
export interface ServerInfo {
  version: string;
  maxAllowedPacket: number;
}

/**
 * Brings the tables of `tables` up to {@link LATEST_VERSION} (or an older
 * `targetVersion`, which tests use to build a store as an earlier release
 * left it) on `connection`.
 *
 * MySQL commits DDL implicitly, so a transaction cannot make a migration
 * atomic; a named lock (`GET_LOCK`, scoped to this database and prefix)
 * serialises instances that start together, and the ledger in `<prefix>meta`
 * (one row per applied version, primary key = version) makes the second one
 * find the work done.
 */
export async function migrate(
  connection: PoolConnection,
  tables: Tables,
  targetVersion: number = LATEST_VERSION,
): Promise<ServerInfo> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT VERSION() AS version, DATABASE() AS db, @@max_allowed_packet AS max_packet,
       GET_LOCK(${LOCK_NAME}, ?) AS locked`,
    [tables.prefix, LOCK_TIMEOUT_SECONDS],
  );
  const info = rows[0]!;
  // On any failure below the caller destroys the connection, which frees the lock server-side.
  if (info.db === null) throw new Error('no database selected: name one in the URL or the `database` option');
  assertSupportedServer(String(info.version));
  if (Number(info.locked) !== 1) {
    throw new Error(
      `timed out after ${LOCK_TIMEOUT_SECONDS} s waiting for another instance to migrate ${tables.meta}`,
    );
  }
  await applyMigrations(connection, tables, targetVersion);
  await connection.query(`SELECT RELEASE_LOCK(${LOCK_NAME})`, [tables.prefix]);
  return { version: String(info.version), maxAllowedPacket: Number(info.max_packet) };
}

async function applyMigrations(
  connection: PoolConnection,
  tables: Tables,
  targetVersion: number,
): Promise<void> {
  await connection.query(
    `CREATE TABLE IF NOT EXISTS ${tables.meta} (
      version INT NOT NULL,
      description VARCHAR(255) NOT NULL,
      applied_at BIGINT NOT NULL,
      PRIMARY KEY (version)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  );
  const [versionRows] = await connection.query<RowDataPacket[]>(
    `SELECT COALESCE(MAX(version), 0) AS version FROM ${tables.meta}`,
  );
  const current = Number(versionRows[0]!.version);
  if (current > LATEST_VERSION) {
    throw new SchemaVersionError(
      `the MySQL tables with prefix "${tables.prefix}" have schema version ${current}, newer than the ` +
        `${LATEST_VERSION} this @errand/backend-mysql understands: upgrade @errand/backend-mysql`,
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > targetVersion) continue;
    for (const statement of migration.statements(tables)) await connection.query(statement);
    await connection.query(
      `INSERT INTO ${tables.meta} (version, description, applied_at) VALUES (?, ?, ${STORE_NOW})`,
      [migration.version, migration.description],
    );
  }
}

/** `FOR UPDATE SKIP LOCKED` needs MySQL 8.0.1+ or MariaDB 10.6+. */
function assertSupportedServer(version: string): void {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const mariadb = /mariadb/i.test(version);
  const supported = mariadb ? major > 10 || (major === 10 && minor >= 6) : major >= 8;
  if (!supported) {
    throw new Error(
      `server ${version} is too old: @errand/backend-mysql needs MySQL 8.0+ or MariaDB 10.6+ (for SKIP LOCKED)`,
    );
  }
}
