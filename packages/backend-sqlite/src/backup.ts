import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { TaskContext } from '@errand/core';
import type { JobDefinition } from '@errand/scheduler';
import Database from 'better-sqlite3';

/** Options of `SqliteBackend.backup()`. */
export interface BackupOptions {
  /** Folder for the backup files (created when missing). */
  dir: string;
  /** How many backups to keep, newest first. Default 7. */
  keep?: number;
  /** File name prefix. Default: the database file's name without extension. */
  prefix?: string;
  /** A lock file older than this (ms) is taken over even if its process may live. Default 1 h. */
  staleLockAfter?: number;
  /** Called as pages are copied (SQLite's own count), for a progress bar. */
  progress?: (copied: { totalPages: number; remainingPages: number }) => void;
}

/** What one backup produced: the new file, and the older ones rotation deleted. */
export interface BackupResult {
  path: string;
  bytes: number;
  durationMs: number;
  removed: string[];
}

/** Options of `SqliteBackend.backupJob()`: `backup()`'s, plus the job id (default `database_backup`) and when. */
export interface BackupJobOptions extends BackupOptions {
  id?: string;
  /** Default `0 2 * * *`, in `timezone` (default `UTC`). */
  cron?: string;
  timezone?: string;
}

/** Creates `path` with `text` unless it exists (O_EXCL): false when it does. */
const create = (path: string, text: string) =>
  writeFile(path, text, { flag: 'wx' }).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? false : Promise.reject(error)),
  );
const read = (path: string) => readFile(path, 'utf8').catch(() => null);
const age = async (path: string) =>
  Date.now() - ((await stat(path).catch(() => null))?.mtimeMs ?? Date.now());

/** A lock of a backup that is over: its process is gone from this host, or it is older than `staleAfter`. */
async function isStale(path: string, text: string, staleAfter: number): Promise<boolean> {
  let holder: { pid?: unknown; host?: unknown; startedAt?: unknown } = {};
  try {
    holder = JSON.parse(text);
  } catch {
    // Empty, half written, or left by an older release: its age decides.
  }
  const old = typeof holder.startedAt === 'number' ? Date.now() - holder.startedAt : await age(path);
  if (old > staleAfter) return true;
  if (holder.host !== hostname() || typeof holder.pid !== 'number') return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

// Replaces the stale lock `stale` with `mine`. A guard file made with O_EXCL lets one taker through;
// it removes the lock only while it still holds `stale`, then creates its own with O_EXCL (so a
// backup starting meanwhile wins instead).
async function takeOver(path: string, stale: string, mine: string): Promise<boolean> {
  const guard = `${path}.takeover`;
  if (!(await create(guard, mine))) {
    // A taker killed inside its few milliseconds here must not block every later backup.
    if ((await age(guard)) > 60_000) await rm(guard, { force: true });
    return false;
  }
  try {
    if ((await read(path)) !== stale) return false;
    await rm(path, { force: true });
    return await create(path, mine);
  } finally {
    await rm(guard, { force: true });
  }
}

/** Takes a folder's backup lock across processes (pid, host, start time); resolves to its release. */
async function lock(path: string, staleAfter: number): Promise<() => Promise<void>> {
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: Date.now() });
  const release = async () => {
    if ((await read(path)) === mine) await rm(path, { force: true });
  };
  if (await create(path, mine)) return release;
  const held = await read(path);
  const taken =
    held === null
      ? await create(path, mine)
      : (await isStale(path, held, staleAfter)) && (await takeOver(path, held, mine));
  if (taken) return release;
  throw new Error(`backup: another backup into ${dirname(path)} is running (${path}: ${held || 'empty'})`);
}

// 20261122T020000.123Z: sorts by time, and two backups in one second still differ.
const timestamp = () => new Date().toISOString().replace(/[-:]/g, '');

/**
 * Online backup (SQLite's backup API, while the application writes) into a temporary file, checked
 * with `PRAGMA quick_check`, then renamed; older files are rotated away only after a good one.
 */
export async function backup(db: Database.Database, options: BackupOptions): Promise<BackupResult> {
  const { dir, keep = 7 } = options;
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError('backup: keep must be an integer >= 1');
  const started = performance.now();
  const prefix = options.prefix ?? (basename(db.name).replace(/\.[^.]+$/, '') || 'errand');
  await mkdir(dir, { recursive: true });
  const release = await lock(join(dir, `.${prefix}.backup.lock`), options.staleLockAfter ?? 3_600_000);
  try {
    const existing = new Set(await readdir(dir));
    let name = `${prefix}-${timestamp()}.db`;
    for (let n = 1; existing.has(name); n++) name = `${prefix}-${timestamp()}-${n}.db`;
    const path = join(dir, name);
    const temp = join(dir, `.${name}.tmp`);
    try {
      const { progress } = options;
      let totalPages = 0;
      await db.backup(
        temp,
        progress
          ? {
              progress: (info) => {
                totalPages = info.totalPages;
                progress(info);
                // better-sqlite3 copies this many pages before the next call (its default).
                return 100;
              },
            }
          : undefined,
      );
      // better-sqlite3 reports before each step, never after the last: close the bar at 100%.
      progress?.({ totalPages, remainingPages: 0 });
      const copy = new Database(temp);
      try {
        // The copy inherits WAL mode; a backup should be one self-contained file.
        copy.pragma('journal_mode = DELETE');
        const check = copy.pragma('quick_check', { simple: true });
        if (check !== 'ok') throw new Error(`backup: quick_check of the copy failed: ${String(check)}`);
      } finally {
        copy.close();
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const ours = new RegExp(
      `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{8}T\\d{6}\\.\\d{3}Z(-\\d+)?\\.db$`,
    );
    const files = (await readdir(dir)).filter((file) => ours.test(file)).sort();
    const removed = files.slice(0, -keep).map((file) => join(dir, file));
    for (const file of removed) await rm(file, { force: true });
    return { path, bytes: (await stat(path)).size, durationMs: performance.now() - started, removed };
  } finally {
    await release();
  }
}

/** The daily `database_backup` job for `@errand/scheduler`, running `run` (the backend's `backup()`). */
export function backupJob(
  run: (options: BackupOptions) => Promise<BackupResult>,
  options: BackupJobOptions,
): JobDefinition {
  const { id = 'database_backup', cron = '0 2 * * *', timezone = 'UTC', ...backupOptions } = options;
  const taskOptions = { retries: 2, retryDelay: 60_000 };
  const schedule = { id, name: id, cron, timezone, maxInstances: 1, coalesce: true, taskOptions };
  return {
    ...schedule,
    fn: async (ctx: TaskContext) => {
      ctx.log('backup started', { dir: backupOptions.dir, keep: backupOptions.keep ?? 7 });
      const { path, bytes, durationMs, removed } = await run(backupOptions);
      ctx.log('backup written', { path, bytes, durationMs: Math.round(durationMs), removed: removed.length });
      return { path, bytes, removed };
    },
  };
}
