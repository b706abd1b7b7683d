import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { MissingPeerError } from '../errors/missing-peer-error.js';

/** The `threads` option of a manager: its pool of worker threads for `thread: true` tasks. */
export interface ThreadPoolOptions {
  /** Threads at most. Default: the number of CPUs (`os.availableParallelism()`). */
  maxThreads?: number;
  /** Threads kept alive while idle. Default 1. */
  minThreads?: number;
  /** An idle thread above `minThreads` ends after this many ms. Default 30000. */
  idleTimeout?: number;
}

/** What the worker answers for one attempt (see thread-worker.mjs). */
export type ThreadOutcome =
  | { sent: number; value: unknown }
  | { sent: number; snooze: number }
  | { sent: number; error: { name: string; message: string; stack: string | null; code: string | null } };

/** The part of a piscina pool this module uses. */
interface PiscinaPool {
  run(task: unknown, options: { transferList?: unknown[]; signal?: AbortSignal }): Promise<unknown>;
  destroy(): Promise<void>;
}

type PiscinaClass = new (options: Record<string, unknown>) => PiscinaPool;

/** Throws `MissingPeerError` at `define()` time when piscina is not installed, rather than at the first run. */
export function assertPiscinaInstalled(): void {
  try {
    createRequire(import.meta.url).resolve('piscina');
  } catch {
    throw new MissingPeerError('piscina', 'a thread: true task');
  }
}

/** The worker script: next to this module in src/, under threads/ next to the bundle in dist/. */
function workerPath(): string {
  const bundled = fileURLToPath(new URL('./threads/thread-worker.mjs', import.meta.url));
  return existsSync(bundled) ? bundled : fileURLToPath(new URL('./thread-worker.mjs', import.meta.url));
}

function checked(value: number | undefined, name: string, fallback: number, min: number): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < min) {
    throw new InvalidOptionError(`threads.${name} must be an integer >= ${min}`);
  }
  return resolved;
}

/**
 * One manager's pool of worker threads, created on the first `thread: true`
 * attempt (piscina is imported only then) and destroyed by `stop()`.
 */
export class ThreadPool {
  readonly #options: Record<string, unknown>;
  #pool: Promise<PiscinaPool> | null = null;
  #closed = false;

  constructor(options: ThreadPoolOptions = {}) {
    const maxThreads = checked(options.maxThreads, 'maxThreads', availableParallelism(), 1);
    const minThreads = checked(options.minThreads, 'minThreads', Math.min(1, maxThreads), 0);
    if (minThreads > maxThreads) throw new InvalidOptionError('threads.minThreads must be <= maxThreads');
    const idleTimeout = checked(options.idleTimeout, 'idleTimeout', 30_000, 0);
    this.#options = { maxThreads, minThreads, idleTimeout };
  }

  /** Runs one attempt in a thread; `signal` aborting terminates that thread. */
  async run(task: unknown, transferList: unknown[], signal: AbortSignal): Promise<ThreadOutcome> {
    if (this.#closed) throw new Error('the thread pool is closed: the manager stopped');
    this.#pool ??= import('piscina').then((loaded) => {
      const module = loaded as unknown as { Piscina?: PiscinaClass; default?: PiscinaClass };
      const Piscina = module.Piscina ?? module.default!;
      return new Piscina({ filename: workerPath(), ...this.#options });
    });
    const pool = await this.#pool;
    return (await pool.run(task, { transferList, signal })) as ThreadOutcome;
  }

  /** Ends every thread (a running attempt's thread included). */
  async close(): Promise<void> {
    this.#closed = true;
    const pool = this.#pool;
    this.#pool = null;
    if (pool) await (await pool).destroy();
  }
}
