import { hostname } from 'node:os';
import type { Logger, SnapshotBackend } from './backend.js';
import { InvalidOptionError } from './errors/invalid-option-error.js';
import { defaultLogger } from './logger.js';

/** How enqueued tasks are persisted when a backend is set. */
export type Durability = 'snapshot' | 'durable';

/** Per-task behaviour, given to `define()` (and as manager-wide `taskDefaults`). */
export interface TaskOptions {
  /** Extra attempts after the first one fails. Default 0. */
  retries?: number;
  /** Delay before the first retry, in ms. Default 1000. */
  retryDelay?: number;
  /** Multiplier of the delay for each further retry. Default 2. */
  backoff?: number;
  /** Upper bound of a retry delay, in ms. Default 300000 (5 min). */
  maxRetryDelay?: number;
  /**
   * Randomises retry delays so that failures do not retry in lockstep:
   * `true` = full jitter (0..delay), a number in [0, 1] = that fraction of the
   * delay may be taken off. Default `false`.
   */
  jitter?: boolean | number;
  /** Per-attempt time limit in ms: the task's `signal` aborts and the attempt fails. Default none. */
  timeout?: number;
  /** Re-dispatch this task when it was interrupted (its work is idempotent). Default false. */
  requeueOnInterrupt?: boolean;
  /** At most this many attempts of this task name run at once in this manager. Default none. */
  concurrency?: number;
}

/** Options of `TaskManager`. */
export interface ManagerOptions {
  /** Persistence; none (the default) keeps everything in memory. */
  backend?: SnapshotBackend;
  /**
   * `'snapshot'` (default): finished records are flushed every
   * `snapshotInterval`, `success`/`failed` at once, everything at `stop()`.
   * `'durable'`: `enqueue()` resolves only once the task is stored, so even
   * `kill -9` loses no accepted task. Enqueues are group-committed.
   */
  durability?: Durability;
  /** Periodic flush interval in ms. Default 60000. */
  snapshotInterval?: number;
  /** Attempts running at once in this manager. Default 10. */
  concurrency?: number;
  /** Finished records kept in memory (oldest flushed ones are evicted first). Default 10000. */
  maxRecords?: number;
  /** This instance's id in records and heartbeats. Default `<hostname>-<pid>-<random>`. */
  instanceId?: string;
  /** Where the manager reports problems. Default: warnings and errors to the console. `false` silences it. */
  logger?: Logger | false;
  /** An instance that has not renewed its heartbeat for this long is dead, in ms. Default 15000. */
  leaseTtl?: number;
  /** How often this instance renews its heartbeat, in ms. Default `leaseTtl / 3`. */
  heartbeatInterval?: number;
  /** How often this instance looks for work of dead instances, in ms. Default 5000. */
  takeoverInterval?: number;
  /** Records per backend write; larger flushes are split. Default 1000. */
  maxBatch?: number;
  /**
   * Backend writes in flight at once. More than one keeps a store's round-trip
   * time from capping durable throughput; a record is never in two at once.
   * Default 4.
   */
  maxWritesInFlight?: number;
  /** Newest finished records loaded into memory at `start()`. Default 1000 (at most `maxRecords`). */
  preload?: number;
  /** A result larger than this (JSON bytes) is not stored. Default 16384. */
  maxResultBytes?: number;
  /** Log lines kept per task (later ones are dropped, with a note). Default 200. */
  maxLogLines?: number;
  /** Defaults for every `define()`; a task's own options win. */
  taskDefaults?: TaskOptions;
}

/** Options of one `enqueue()`. */
export interface EnqueueOptions {
  /**
   * While a task with this key is pending, running, succeeded or interrupted,
   * enqueueing the key again returns that task's id and runs nothing new,
   * across instances when the backend is shared.
   */
  idempotencyKey?: string;
  /** Start no earlier than this many ms from now. */
  delay?: number;
  /** Start no earlier than this time. */
  runAt?: Date | number;
  /** Labels stored with the task (the scheduler marks its runs `sched:<jobId>`). */
  tags?: string[];
}

export interface ResolvedTaskOptions {
  retries: number;
  retryDelay: number;
  backoff: number;
  maxRetryDelay: number;
  jitter: number;
  timeout: number | null;
  requeueOnInterrupt: boolean;
  concurrency: number | null;
}

export interface ResolvedManagerOptions {
  backend: SnapshotBackend | null;
  durability: Durability;
  snapshotInterval: number;
  concurrency: number;
  maxRecords: number;
  instanceId: string;
  logger: Logger;
  leaseTtl: number;
  heartbeatInterval: number;
  takeoverInterval: number;
  maxBatch: number;
  maxWritesInFlight: number;
  preload: number;
  maxResultBytes: number;
  maxLogLines: number;
  taskDefaults: TaskOptions;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function integer(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function positive(value: number | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(`${name} must be a finite number >= ${min}, got ${String(value)}`);
  }
  return value;
}

function defaultInstanceId(): string {
  const suffix = Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `${hostname()}-${process.pid}-${suffix}`;
}

/** Applies defaults and checks every manager option, in one place. */
export function resolveManagerOptions(options: ManagerOptions = {}): ResolvedManagerOptions {
  const durability = options.durability ?? 'snapshot';
  if (durability !== 'snapshot' && durability !== 'durable') {
    throw new InvalidOptionError(`durability must be 'snapshot' or 'durable', got ${String(durability)}`);
  }
  if (durability === 'durable' && !options.backend) {
    throw new InvalidOptionError("durability 'durable' needs a backend to store tasks in");
  }
  if (
    options.instanceId !== undefined &&
    (typeof options.instanceId !== 'string' || options.instanceId === '')
  ) {
    throw new InvalidOptionError('instanceId must be a non-empty string');
  }
  const leaseTtl = integer(options.leaseTtl, 'leaseTtl', 15_000, 50);
  const maxRecords = integer(options.maxRecords, 'maxRecords', 10_000, 0);
  const heartbeatInterval = integer(
    options.heartbeatInterval,
    'heartbeatInterval',
    Math.floor(leaseTtl / 3),
    10,
  );
  if (heartbeatInterval >= leaseTtl) {
    throw new InvalidOptionError('heartbeatInterval must be shorter than leaseTtl');
  }
  if (options.taskDefaults !== undefined) resolveTaskOptions(options.taskDefaults, {}, 'taskDefaults');
  return {
    backend: options.backend ?? null,
    durability,
    snapshotInterval: integer(options.snapshotInterval, 'snapshotInterval', 60_000, 10),
    concurrency: integer(options.concurrency, 'concurrency', 10, 1),
    maxRecords,
    instanceId: options.instanceId ?? defaultInstanceId(),
    logger: options.logger === false ? silentLogger : (options.logger ?? defaultLogger),
    leaseTtl,
    heartbeatInterval,
    takeoverInterval: integer(options.takeoverInterval, 'takeoverInterval', 5_000, 10),
    maxBatch: integer(options.maxBatch, 'maxBatch', 1000, 1),
    maxWritesInFlight: integer(options.maxWritesInFlight, 'maxWritesInFlight', 4, 1),
    preload: Math.min(integer(options.preload, 'preload', 1000, 0), maxRecords),
    maxResultBytes: integer(options.maxResultBytes, 'maxResultBytes', 16_384, 0),
    maxLogLines: integer(options.maxLogLines, 'maxLogLines', 200, 0),
    taskDefaults: options.taskDefaults ?? {},
  };
}

/** Applies defaults (manager-wide first, then built-in) and checks a task's options. */
export function resolveTaskOptions(
  options: TaskOptions = {},
  defaults: TaskOptions = {},
  label = 'task options',
): ResolvedTaskOptions {
  const merged = { ...defaults, ...options };
  const jitter =
    merged.jitter === true ? 1 : merged.jitter === false || merged.jitter === undefined ? 0 : merged.jitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidOptionError(`${label}: jitter must be a boolean or a number from 0 to 1`);
  }
  if (merged.timeout !== undefined && !(Number.isFinite(merged.timeout) && merged.timeout > 0)) {
    throw new InvalidOptionError(`${label}: timeout must be a positive number of ms`);
  }
  return {
    retries: integer(merged.retries, `${label}: retries`, 0, 0),
    retryDelay: positive(merged.retryDelay, `${label}: retryDelay`, 1000),
    backoff: positive(merged.backoff, `${label}: backoff`, 2, 1),
    maxRetryDelay: positive(merged.maxRetryDelay, `${label}: maxRetryDelay`, 300_000),
    jitter,
    timeout: merged.timeout ?? null,
    requeueOnInterrupt: merged.requeueOnInterrupt ?? false,
    concurrency:
      merged.concurrency === undefined ? null : integer(merged.concurrency, `${label}: concurrency`, 1, 1),
  };
}

/** Checks `enqueue()` options and returns the time the task may first run. */
export function resolveRunAt(options: EnqueueOptions, now: number): number {
  if (options.delay !== undefined && options.runAt !== undefined) {
    throw new InvalidOptionError('enqueue: pass either delay or runAt, not both');
  }
  if (options.delay !== undefined) return now + positive(options.delay, 'enqueue: delay', 0);
  if (options.runAt !== undefined) {
    const at = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw new InvalidOptionError('enqueue: runAt must be a Date or epoch milliseconds');
    }
    return at;
  }
  return now;
}

/** Checks enqueue tags: at most 20 strings of 1 to 100 characters. */
export function checkTags(tags: unknown): string[] {
  if (tags === undefined) return [];
  if (
    !Array.isArray(tags) ||
    tags.length > 20 ||
    tags.some((tag) => typeof tag !== 'string' || tag === '' || tag.length > 100)
  ) {
    throw new InvalidOptionError(
      'enqueue: tags must be an array of at most 20 strings of 1 to 100 characters',
    );
  }
  return tags.slice();
}

/** Checks an idempotency key. */
export function checkIdempotencyKey(key: unknown): string | null {
  if (key === undefined || key === null) return null;
  if (typeof key !== 'string' || key === '' || key.length > 255) {
    throw new InvalidOptionError('enqueue: idempotencyKey must be a string of 1 to 255 characters');
  }
  return key;
}
