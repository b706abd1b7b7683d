import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';

/** Options of `SqliteBackend.backup()`. */
export interface BackupOptions {
  /** Folder for the backup files (created when missing). */
  dir: string;
  /** How many backups to keep, newest first. Default 7. */
  keep?: number;
  /** File name prefix. Default: the database file's name without extension. */
  prefix?: string;
}

/** What one backup produced. */
export interface BackupResult {
  /** The new backup file. */
  path: string;
  bytes: number;
  durationMs: number;
  /** Older backups deleted by rotation. */
  removed: string[];
}

function timestamp(date: Date): string {
  // 20261122T020000.123Z: sorts by time, and two backups in one second still differ.
  return date.toISOString().replace(/[-:]/g, '');
}

/**
 * Online backup: SQLite's backup API copies pages while the application
 * keeps writing, into a temporary file that is checked with
 * `PRAGMA quick_check` and only then renamed into place. Rotation deletes
 * older files only after a good backup, and a lock file keeps two backups
 * (from two processes, or a slow one and the next) from running at once.
 */
export async function backupDatabase(db: Database.Database, options: BackupOptions): Promise<BackupResult> {
  const keep = options.keep ?? 7;
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError('backup: keep must be an integer >= 1');
  const started = performance.now();
  const prefix = options.prefix ?? (basename(db.name).replace(/\.[^.]+$/, '') || 'errand');
  await mkdir(options.dir, { recursive: true });
  const lockPath = join(options.dir, `.${prefix}.backup.lock`);
  const lock = await open(lockPath, 'wx').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST')
      throw new Error(`backup: another backup into ${options.dir} is running (${lockPath})`);
    throw error;
  });
  try {
    let name = `${prefix}-${timestamp(new Date())}.db`;
    const existing = new Set(await readdir(options.dir));
    for (let n = 1; existing.has(name); n++) name = `${prefix}-${timestamp(new Date())}-${n}.db`;
    const finalPath = join(options.dir, name);
    const tempPath = join(options.dir, `.${name}.tmp`);
    try {
      await db.backup(tempPath);
      // The copy inherits WAL mode; a backup should be one self-contained file.
      const copy = new Database(tempPath);
      try {
        copy.pragma('journal_mode = DELETE');
        const check = copy.pragma('quick_check', { simple: true });
        if (check !== 'ok') throw new Error(`backup: quick_check of the copy failed: ${String(check)}`);
      } finally {
        copy.close();
      }
      await rename(tempPath, finalPath);
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
    const pattern = new RegExp(
      `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{8}T\\d{6}\\.\\d{3}Z(-\\d+)?\\.db$`,
    );
    const backups = (await readdir(options.dir))
      .filter((file) => pattern.test(file))
      .sort()
      .reverse();
    const removed: string[] = [];
    for (const file of backups.slice(keep)) {
      await rm(join(options.dir, file), { force: true });
      removed.push(join(options.dir, file));
    }
    const { size } = await stat(finalPath);
    return { path: finalPath, bytes: size, durationMs: performance.now() - started, removed };
  } finally {
    await lock.close();
    await rm(lockPath, { force: true });
  }
}
