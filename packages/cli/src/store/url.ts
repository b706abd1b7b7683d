import { isAbsolute, resolve } from 'node:path';
import { maskSecrets } from '@errand/core';
import { UsageError } from '../errors.js';

export type StoreKind = 'sqlite' | 'postgres' | 'mysql' | 'redis';

/** The package that implements each kind of store: the one import the CLI makes for it. */
export const BACKEND_PACKAGES: Record<StoreKind, string> = {
  sqlite: '@errand/backend-sqlite',
  postgres: '@errand/backend-postgres',
  mysql: '@errand/backend-mysql',
  redis: '@errand/backend-redis',
};

/** Where the store is, as the command line gave it. */
export interface StoreTarget {
  kind: StoreKind;
  /** The URL to hand the backend (network stores). */
  url: string;
  /** Absolute database file (SQLite). */
  path: string | null;
  /** Table prefix (SQL) or key prefix (Redis); null: the backend's default. */
  prefix: string | null;
  /** PostgreSQL schema; null: the backend's default. */
  schema: string | null;
  /** The URL with its password masked: the only form ever printed. */
  display: string;
  /** The password in the URL (decoded), so that outputs can mask it wherever a driver echoes it. */
  secrets: string[];
}

const SCHEMES: Record<string, StoreKind> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'redis:': 'redis',
  'rediss:': 'redis',
};

/**
 * Reads `--store` / `ERRAND_STORE_URL`: `sqlite:./data/tasks.db` (relative
 * to the working directory, or absolute; `sqlite:///abs/path` too),
 * `postgres://…`, `postgresql://…`, `mysql://…` (MySQL and MariaDB),
 * `redis://…` / `rediss://…`.
 */
export function parseStoreUrl(
  text: string | undefined,
  extra: { prefix?: string | undefined; schema?: string | undefined; cwd?: string } = {},
): StoreTarget {
  if (!text) {
    throw new UsageError('no store: pass --store URL or set ERRAND_STORE_URL (e.g. sqlite:./data/tasks.db)');
  }
  const prefix = extra.prefix ?? null;
  const schema = extra.schema ?? null;
  if (text.startsWith('sqlite:')) {
    // sqlite:///abs → /abs, sqlite://./rel → ./rel, sqlite:./rel → ./rel
    const raw = text.slice('sqlite:'.length).replace(/^\/\/(?=[./~]|$)/, '');
    if (raw === '') throw new UsageError(`--store: "${text}" names no file (e.g. sqlite:./data/tasks.db)`);
    if (schema !== null) throw new UsageError('--schema applies to PostgreSQL stores only');
    const path = isAbsolute(raw) ? raw : resolve(extra.cwd ?? process.cwd(), raw);
    return { kind: 'sqlite', url: text, path, prefix, schema, display: `sqlite:${raw}`, secrets: [] };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--store: "${maskSecrets(text)}" is not a store URL (sqlite:, postgres://, mysql://, redis://)`,
    );
  }
  const kind = SCHEMES[url.protocol];
  if (!kind) {
    throw new UsageError(
      `--store: unknown scheme "${url.protocol}" (use sqlite:PATH, postgres://, mysql:// or redis://)`,
    );
  }
  if (schema !== null && kind !== 'postgres')
    throw new UsageError('--schema applies to PostgreSQL stores only');
  const secrets = url.password ? [url.password, decodeURIComponent(url.password)] : [];
  return { kind, url: text, path: null, prefix, schema, display: maskSecrets(text), secrets };
}

/** `text` with every credential masked: URL passwords, `password=` pairs and the store's own password. */
export function maskAll(text: string, secrets: readonly string[]): string {
  let masked = maskSecrets(text);
  // A driver may echo the bare password (not in URL form); short ones would mask ordinary words.
  for (const secret of secrets) if (secret.length >= 4) masked = masked.split(secret).join('***');
  return masked;
}
