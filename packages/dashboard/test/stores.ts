import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresBackend } from '@errand/backend-postgres';
import { SqliteBackend } from '@errand/backend-sqlite';
import { MemoryBackend, type SnapshotBackend } from '@errand/core';
import { requireService } from '@errand/core/testing';
import pg from 'pg';

/** The test server (trust auth); `ERRAND_POSTGRES_URL` points elsewhere. */
const POSTGRES_URL = process.env.ERRAND_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** One empty store per test file, a second handle onto it (another instance's), and its removal. */
export interface OpenedStore {
  backend: SnapshotBackend;
  sibling(): SnapshotBackend;
  cleanup(): Promise<void>;
}

export interface StoreTarget {
  name: string;
  /** Whether the store can be used here (false only outside CI, with a visible notice). */
  available(): Promise<boolean>;
  open(): Promise<OpenedStore>;
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, application_name: 'errand-dashboard-test' });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** The stores the API is tested on: memory, SQLite (several processes on one host) and PostgreSQL (a fleet). */
export const STORES: StoreTarget[] = [
  {
    name: 'memory',
    available: async () => true,
    async open() {
      const backend = new MemoryBackend();
      return { backend, sibling: () => new MemoryBackend({ sharedWith: backend }), cleanup: async () => {} };
    },
  },
  {
    name: 'sqlite',
    available: async () => true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'errand-dashboard-'));
      const path = join(dir, 'tasks.db');
      return {
        backend: new SqliteBackend({ path }),
        sibling: () => new SqliteBackend({ path }),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    available: () =>
      requireService(
        'PostgreSQL',
        () => adminQuery('SELECT 1'),
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
      ),
    async open() {
      // Each test file gets its own schema, dropped after.
      const schema = `errand_dash_${randomBytes(6).toString('hex')}`;
      return {
        backend: new PostgresBackend({ connectionString: POSTGRES_URL, schema }),
        sibling: () => new PostgresBackend({ connectionString: POSTGRES_URL, schema }),
        cleanup: () => adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
      };
    },
  },
];
