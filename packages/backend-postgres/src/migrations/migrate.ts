import { SchemaVersionError } from '@errand/core';
import type { PoolClient } from 'pg';
import type { Tables } from '../tables.js';
import { MIGRATIONS, SCHEMA_VERSION } from './index.js';

const VERSION_KEY = 'schema_version';

/**
 * Brings the store to {@link SCHEMA_VERSION} in one transaction.
 *
 * A transaction-scoped advisory lock serialises instances that start at the
 * same time: the first one migrates, the others wait, then find the new
 * version and do nothing. The lock is released by COMMIT or ROLLBACK, so a
 * crashed migrator never leaves it held. Returns the version found before.
 */
export async function migrate(client: PoolClient, t: Tables): Promise<number> {
  await client.query('BEGIN');
  try {
    // Its own statement: a READ COMMITTED statement's snapshot predates any lock wait
    // inside it, so the checks below must start after the lock is held.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [t.lockKey]);
    // Look before creating: `CREATE ... IF NOT EXISTS` still needs the CREATE privilege,
    // which a role that only uses an existing store may not have.
    const found = await client.query<{ has_schema: boolean; has_meta: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS has_schema,
              to_regclass($2) IS NOT NULL AS has_meta`,
      [t.schemaName, t.meta],
    );
    const { has_schema: hasSchema, has_meta: hasMeta } = found.rows[0]!;
    if (!hasSchema) await client.query(`CREATE SCHEMA ${t.schema}`);
    let version = 0;
    if (hasMeta) {
      const stored = await client.query<{ value: string }>(`SELECT value FROM ${t.meta} WHERE key = $1`, [
        VERSION_KEY,
      ]);
      version = stored.rows[0] ? Number(stored.rows[0].value) : 0;
    } else {
      await client.query(`CREATE TABLE ${t.meta} (key text PRIMARY KEY, value text NOT NULL)`);
    }
    if (!Number.isInteger(version) || version > SCHEMA_VERSION) {
      throw new SchemaVersionError(
        `the Errand tables in schema "${t.schemaName}" have schema version ${version}, newer than version ` +
          `${SCHEMA_VERSION} that this @errand/backend-postgres understands: upgrade the package`,
      );
    }
    for (let next = version; next < SCHEMA_VERSION; next++) {
      await client.query(MIGRATIONS[next]!(t));
    }
    if (version < SCHEMA_VERSION) {
      await client.query(
        `INSERT INTO ${t.meta} (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [VERSION_KEY, String(SCHEMA_VERSION)],
      );
    }
    await client.query('COMMIT');
    return version;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
