import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test server (trust auth); `ERRAND_POSTGRES_URL` points elsewhere. */
export const POSTGRES_URL = process.env.ERRAND_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const START_COMMAND =
  'docker run -d --name errand-postgres -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:16';

export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A schema name no other test (or helper sharing this server) uses. */
export function randomSchema(): string {
  return `errand_test_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement on a short-lived connection of its own. */
export async function adminQuery<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<Row>> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, application_name: 'errand-test-admin' });
  await client.connect();
  try {
    return await client.query<Row>(text, values);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

export async function probe(): Promise<void> {
  await adminQuery('SELECT 1');
}
