import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SchemaVersionError, type SnapshotBackend, silentLogger } from '@errand/core';
import { CliError, MissingBackendError } from '../errors.js';
import type { Deadline } from './deadline.js';
import { BACKEND_PACKAGES, type StoreKind, type StoreTarget } from './url.js';

/** What `errand backup` needs of `SqliteBackend` beyond the contract. */
export interface BackupCapable {
  backup(options: {
    dir: string;
    keep?: number;
    progress?: (copied: { totalPages: number; remainingPages: number }) => void;
  }): Promise<{
    path: string;
    bytes: number;
    durationMs: number;
    removed: string[];
  }>;
}

/** An open store and how to let go of it. */
export interface Store {
  backend: SnapshotBackend;
  target: StoreTarget;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: each backend's constructor has its own options
type BackendClass = new (...args: any[]) => SnapshotBackend;

const EXPORTS: Record<StoreKind, string> = {
  sqlite: 'SqliteBackend',
  postgres: 'PostgresBackend',
  mysql: 'MysqlBackend',
  redis: 'RedisBackend',
};

function isMissing(error: unknown, name: string): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    String((error as Error).message).includes(`'${name}'`)
  );
}

/** The package is there but does not load: its driver is missing, or it was never built. */
function loadFailed(name: string, error: unknown): CliError {
  const detail = error instanceof Error ? error.message : String(error);
  return new CliError('ERR_BACKEND_LOAD', `${name} failed to load: ${detail}`, undefined, { cause: error });
}

/**
 * Imports the one backend package the store needs, and only then its driver:
 * a health check against SQLite never loads pg, mysql2 or ioredis. A global
 * install of the CLI finds the project's own copy through the working
 * directory.
 */
async function loadBackend(kind: StoreKind): Promise<BackendClass> {
  const name = BACKEND_PACKAGES[kind];
  let module: Record<string, unknown>;
  try {
    module = await import(name);
  } catch (error) {
    if (!isMissing(error, name)) throw loadFailed(name, error);
    try {
      const path = createRequire(join(process.cwd(), 'package.json')).resolve(name);
      module = await import(pathToFileURL(path).href);
    } catch (fallbackError) {
      if (isMissing(fallbackError, name)) throw new MissingBackendError(name, kind, { cause: error });
      throw loadFailed(name, fallbackError);
    }
  }
  const backend = module[EXPORTS[kind]];
  if (typeof backend !== 'function') {
    throw new CliError('ERR_MISSING_BACKEND', `${name} does not export ${EXPORTS[kind]}: update it`);
  }
  return backend as BackendClass;
}

function construct(Backend: BackendClass, target: StoreTarget, operationTimeout: number): SnapshotBackend {
  const prefix = target.prefix ?? undefined;
  switch (target.kind) {
    case 'sqlite':
      return new Backend({ path: target.path, tablePrefix: prefix, operationTimeout });
    case 'postgres':
      return new Backend(target.url, {
        schema: target.schema ?? undefined,
        tablePrefix: prefix,
        operationTimeout,
      });
    case 'mysql':
      return new Backend({ url: target.url, tablePrefix: prefix, operationTimeout });
    case 'redis':
      return new Backend(target.url, { prefix, operationTimeout });
  }
}

/**
 * Opens the store for reading and operations. A SQLite file that does not
 * exist is an error here, not a new empty store: a health check pointed at a
 * wrong path must fail, never create one.
 */
export async function openStore(target: StoreTarget, deadline: Deadline): Promise<Store> {
  if (target.path !== null) {
    const exists = (() => {
      try {
        return statSync(target.path).isFile();
      } catch {
        return false;
      }
    })();
    if (!exists)
      throw new CliError('ERR_NO_STORE', `${target.display}: no such database file (${target.path})`);
  }
  const Backend = await loadBackend(target.kind);
  // Each call the backend makes is bounded by what is left of the command's time.
  const backend = construct(Backend, target, Math.max(100, Math.ceil(deadline.remainingMs)));
  let opened = false;
  const close = async () => {
    if (!opened) return;
    opened = false;
    // A stalled connection must not hold the verdict: give close() a second at most.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      backend.close().catch(() => {}),
      new Promise<void>((done) => {
        timer = setTimeout(done, 1000);
      }),
    ]);
    clearTimeout(timer);
  };
  try {
    // Never create or migrate: a newer CLI must not change the schema under running instances.
    await deadline.race('open', backend.open({ logger: silentLogger, migrate: false }));
    opened = true;
  } catch (error) {
    // open() may have connected before it failed or ran out of time.
    opened = true;
    await close();
    if (error instanceof SchemaVersionError && error.found === 0)
      throw new CliError('ERR_NO_STORE', `${target.display}: no Errand store there (nothing was created)`);
    throw error;
  }
  return { backend, target, close };
}

/** The store as a SQLite backend that can back itself up, or an error saying why not. */
export function asBackupCapable(store: Store): SnapshotBackend & BackupCapable {
  const backend = store.backend as SnapshotBackend & Partial<BackupCapable>;
  if (store.target.kind !== 'sqlite' || typeof backend.backup !== 'function') {
    throw new CliError(
      'ERR_NO_BACKUP',
      `errand backup works on SQLite stores only (got ${store.target.display})`,
    );
  }
  return backend as SnapshotBackend & BackupCapable;
}
