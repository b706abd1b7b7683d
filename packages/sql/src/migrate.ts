import { SchemaVersionError } from '@errand/core';

/**
 * One schema change of one store, append-only and numbered from 1: release
 * `n` of a store's schema is every migration up to version `n`. The SQL is
 * inlined in the package (never read from disk at run time).
 */
export interface Migration<Names> {
  version: number;
  /** One line for the ledger and logs. */
  description: string;
  /** The statements, in order, for the store's table names. */
  statements(names: Names): readonly string[];
}

/** What the runner needs from one store (its connection, lock and ledger). */
export interface MigrationDriver {
  /**
   * Runs `work` while holding the store's migration lock (an advisory lock,
   * `GET_LOCK`, `BEGIN IMMEDIATE`...), inside one transaction where the
   * engine can roll DDL back. Two instances starting at once never migrate
   * twice: the second waits, then finds the work done.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** The version recorded in the store's ledger; 0 for a store never migrated. Creates the ledger if needed. */
  readVersion(): Promise<number>;
  /**
   * The recorded version read without the lock, creating nothing (0 when there is no ledger yet):
   * when the store is already current, `open()` needs no lock, transaction or DDL round trip.
   */
  peekVersion?(): Promise<number>;
  /** Runs one statement. */
  execute(sql: string): Promise<void>;
  /** Records in the ledger that `migration` was applied. */
  record(migration: { version: number; description: string }): Promise<void>;
}

/** What {@link runMigrations} found and did. */
export interface MigrationReport {
  /** Version before (0: the store was empty). */
  from: number;
  /** Version now. */
  to: number;
}

/**
 * Brings a store to the newest of `migrations` (or `target`, which tests use
 * to build a store as an earlier release left it). Refuses, with a
 * `SchemaVersionError` naming `packageName`, a store that a newer release
 * migrated past what this one knows: it would misread the data.
 */
export async function runMigrations<Names>(
  driver: MigrationDriver,
  migrations: ReadonlyArray<Migration<Names>>,
  names: Names,
  options: { store: string; packageName: string; target?: number; existingOnly?: boolean },
): Promise<MigrationReport> {
  const latest = migrations.length;
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`${options.packageName}: migration ${index + 1} is numbered ${migration.version}`);
    }
  });
  const target = options.target ?? latest;
  // A version is recorded only with (or after) its statements, so a current one seen unlocked is final.
  const seen = driver.peekVersion ? await driver.peekVersion() : Number.NaN;
  if (Number.isInteger(seen) && seen >= target && seen <= latest) return { from: seen, to: seen };
  if (options.existingOnly) refuseExistingOnly(seen, target, options);
  return driver.exclusive(async () => {
    const from = await driver.readVersion();
    if (!Number.isInteger(from) || from > latest) {
      throw new SchemaVersionError(
        `${options.store} has schema version ${from}, newer than version ${latest} that this ` +
          `${options.packageName} understands: upgrade ${options.packageName}`,
        { found: Number.isInteger(from) ? from : null, expected: latest },
      );
    }
    for (const migration of migrations) {
      if (migration.version <= from || migration.version > target) continue;
      for (const statement of migration.statements(names)) await driver.execute(statement);
      await driver.record(migration);
    }
    return { from, to: Math.max(from, target) };
  });
}

/** An open with migrate: false found no store, or one at another version: it may change nothing, so it says which. */
function refuseExistingOnly(
  found: number,
  expected: number,
  options: { store: string; packageName: string },
): never {
  const versions = { found: Number.isInteger(found) ? found : null, expected };
  if (!Number.isInteger(found)) {
    throw new SchemaVersionError(
      `${options.store}: an open with migrate: false needs a driver that can peek at the version`,
      versions,
    );
  }
  if (found === 0) {
    throw new SchemaVersionError(
      `${options.store} do not exist: no Errand store here (opened with migrate: false, nothing was created)`,
      versions,
    );
  }
  const advice =
    found < expected
      ? `older than version ${expected} of this ${options.packageName}: start the application, which migrates it`
      : `newer than version ${expected} that this ${options.packageName} understands: upgrade ${options.packageName}`;
  throw new SchemaVersionError(`${options.store} has schema version ${found}, ${advice}`, versions);
}
