import { closeSync, copyFile, fstatSync, ftruncate, openSync, rename, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { formatLine } from './format-line.js';
import type { Observer, TaskEvent } from './observer.js';

const writeAsync = promisify(write);
const renameAsync = promisify(rename);
const copyAsync = promisify(copyFile);
const truncateAsync = promisify(ftruncate);

/** Options of {@link fileObserver}. */
export interface FileObserverOptions {
  /** The log file; created when missing, appended to otherwise. */
  path: string;
  /** Past this many bytes the file is rotated. Default 10 MiB. */
  maxBytes?: number;
  /** Rotated files kept (`path.1` newest ... `path.<keep>`); 0 keeps none. Default 5. */
  keep?: number;
  /**
   * Before a rotation truncates the file, this many ms pass with writes held
   * in memory, so a `tail -f` reading the file sees its last lines before
   * they move to `path.1`. Default 200.
   */
  tailGraceMs?: number;
  /** Where a failed write is reported. Default: a process warning, once until writes succeed again. */
  onError?: (error: Error) => void;
}

/** The file observer: also exposes `flush()` (resolves once every event so far is in the file). */
export interface FileObserver extends Observer {
  flush(): Promise<void>;
  close(): Promise<void>;
}

async function writeAll(fd: number, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await writeAsync(fd, data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Writes one line per event, `ISO time [level] [task id] [name] message`,
 * to `path`, and rotates it by size.
 *
 * Safe for `tail -f`: lines are buffered for one turn of the event loop and
 * appended whole (`O_APPEND`); rotation waits `tailGraceMs` (a follower
 * reads the last lines), copies the file to `path.1` (older copies move up
 * to `path.<keep>`) and truncates it in place, so a `tail -f` that follows
 * the descriptor keeps following (it reports the truncation) and so does
 * `tail -F`. One process per file: two processes rotating the same file
 * would lose lines.
 *
 * ```ts
 * new TaskManager({ observers: [fileObserver({ path: './logs/tasks.log', maxBytes: 5_000_000, keep: 3 })] });
 * ```
 */
export function fileObserver(options: FileObserverOptions): FileObserver {
  const { path } = options ?? ({} as FileObserverOptions);
  if (typeof path !== 'string' || path === '') throw new InvalidOptionError('fileObserver: path is required');
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const keep = options.keep ?? 5;
  const tailGraceMs = options.tailGraceMs ?? 200;
  if (!Number.isInteger(maxBytes) || maxBytes < 1024) {
    throw new InvalidOptionError('fileObserver: maxBytes must be an integer of at least 1024');
  }
  if (!Number.isInteger(keep) || keep < 0 || keep > 100) {
    throw new InvalidOptionError('fileObserver: keep must be an integer from 0 to 100');
  }
  if (!Number.isInteger(tailGraceMs) || tailGraceMs < 0) {
    throw new InvalidOptionError('fileObserver: tailGraceMs must be an integer >= 0');
  }
  // Opened now, so a wrong path fails at construction rather than at the first event.
  const fd = openSync(path, 'a');
  let size = fstatSync(fd).size;
  let pending: string[] = [];
  let draining: Promise<void> | null = null;
  let scheduled = false;
  let closed = false;
  let failing = false;
  const report =
    options.onError ??
    ((error: Error) => {
      if (!failing)
        process.emitWarning(`errand fileObserver: ${error.message}`, { code: 'ERRAND_FILE_OBSERVER' });
    });

  const rotate = async () => {
    if (tailGraceMs > 0) await new Promise((resolve) => setTimeout(resolve, tailGraceMs));
    for (let i = keep - 1; i >= 1; i--) {
      await renameAsync(`${path}.${i}`, `${path}.${i + 1}`).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    if (keep > 0) await copyAsync(path, `${path}.1`);
    await truncateAsync(fd, 0);
    size = 0;
  };

  // Lines go out in chunks that fit the current file, rotating between them.
  const drain = async () => {
    while (pending.length > 0) {
      const lines = pending;
      pending = [];
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      for (const line of lines) {
        const bytes = Buffer.from(line);
        if (size + chunkBytes + bytes.length > maxBytes && size + chunkBytes > 0) {
          if (chunkBytes > 0) await writeAll(fd, Buffer.concat(chunk));
          size += chunkBytes;
          chunk = [];
          chunkBytes = 0;
          await rotate();
        }
        chunk.push(bytes);
        chunkBytes += bytes.length;
      }
      if (chunkBytes > 0) await writeAll(fd, Buffer.concat(chunk));
      size += chunkBytes;
    }
  };

  const flush = (): Promise<void> => {
    if (draining) return draining.then(() => (pending.length > 0 ? flush() : undefined));
    if (pending.length === 0) return Promise.resolve();
    draining = drain()
      .then(
        () => {
          failing = false;
        },
        (error: Error) => {
          report(error);
          failing = true;
        },
      )
      .finally(() => {
        draining = null;
      });
    return draining;
  };

  // A process that exits right after an event still gets the line.
  const onExit = () => {
    if (pending.length === 0 || closed) return;
    try {
      writeSync(fd, pending.join(''));
    } catch {
      // Exiting: nowhere left to report to.
    }
    pending = [];
  };
  process.on('exit', onExit);

  return {
    onEvent(event: TaskEvent) {
      if (closed) return;
      pending.push(formatLine(event));
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          void flush();
        });
      }
    },
    flush,
    async close() {
      if (closed) return;
      await flush();
      closed = true;
      process.off('exit', onExit);
      closeSync(fd);
    },
  };
}
