import { hostname } from 'node:os';
import type { Logger, SnapshotBackend } from '../backend/backend.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { defaultLogger, silentLogger } from '../logger.js';
import { FINISHED_STATUSES } from '../model/task-record.js';
import { integer } from './checks.js';
import {
  DEFAULT_RETENTION,
  type QueueOptions,
  type ResolvedQueue,
  type RetentionOptions,
  resolveQueues,
  resolveRetention,
} from './queue-options.js';
import { checkDispatch, type Dispatch, resolveTaskOptions, type TaskOptions } from './task-options.js';

/** How enqueued tasks are persisted when a backend is set. */
export type Durability = 'snapshot' | 'durable';

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
  /**
   * Largest accepted arguments of one task, in bytes of JSON. A larger
   * enqueue throws `InvalidArgumentsError` (a store may refuse such a row,
   * and it would then fail every batch it joins). Default 1048576 (1 MiB).
   */
  maxArgsBytes?: number;
  /** Defaults for every `define()`; a task's own options win. */
  taskDefaults?: TaskOptions;
  /**
   * `false`: a producer-only instance (a web tier). It defines tasks (for
   * types and options) and enqueues them, but never runs any: everything it
   * enqueues is stored unowned at once (durably, even in snapshot mode) for
   * the worker instances. Needs a backend. Default true.
   */
  runTasks?: boolean;
  /** Where new tasks run unless their definition says otherwise. Default `'local'`. */
  dispatch?: Dispatch;
  /**
   * When more tasks than this wait in this instance (ready or delayed), new
   * `'local'` tasks are stored unowned for the fleet instead, so a burst on
   * one instance is shared with idle ones. Needs a backend. Default 10000.
   */
  maxLocalBacklog?: number;
  /**
   * How often an instance looks for shared work on a store that cannot wake
   * it (SQLite, MySQL), in ms. PostgreSQL and Redis wake instances at once
   * and only look every `takeoverInterval`. Default 1000.
   */
  pollInterval?: number;
  /** Named queues: their concurrency, size, rate limit and retention. `default` always exists. */
  queues?: Record<string, QueueOptions>;
  /**
   * How long finished records are kept, per status (ms or `'7d'`; null:
   * forever); a queue's own `retention` wins. Default: success, cancelled,
   * rejected and expired 7 days, failed and interrupted 30 days. `false`
   * keeps every record forever.
   */
  retention?: RetentionOptions | false;
  /** How often one instance deletes records past their retention, in ms. Default 60000. */
  retentionInterval?: number;
  /**
   * The starvation guard: a waiting task's effective priority rises by 1
   * for every this many ms it has waited, so low priorities are never
   * starved by a stream of higher ones. Default 60000.
   */
  priorityAging?: number;
  /**
   * `'inline'`: for unit tests. `enqueue()` runs the task before it
   * resolves, without `start()`; `manager.testing` lists what was enqueued.
   */
  testing?: 'inline';
  /**
   * `currentTask()` support: each attempt runs inside an
   * `AsyncLocalStorage`. On Node 20 that slows every promise of the
   * process a little once any storage is in use; `false` skips it (then
   * `currentTask()` returns undefined in this manager's tasks). Default true.
   */
  taskContext?: boolean;
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
  maxArgsBytes: number;
  /** Whether `instanceId` was given (a restart with the same id recovers that id's tasks at once). */
  instanceIdGiven: boolean;
  taskDefaults: TaskOptions;
  runTasks: boolean;
  dispatch: Dispatch;
  maxLocalBacklog: number;
  pollInterval: number;
  queues: Map<string, ResolvedQueue>;
  /** Retention for records of undeclared queues (the manager's). */
  retention: Record<string, number | null>;
  retentionInterval: number;
  priorityAging: number;
  testing: 'inline' | null;
  taskContext: boolean;
}

function checkTesting(value: unknown): 'inline' | null {
  if (value === undefined) return null;
  if (value !== 'inline') throw new InvalidOptionError(`testing must be 'inline', got ${String(value)}`);
  return value;
}

function checkTaskContext(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new InvalidOptionError('taskContext must be true or false');
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
  const retention =
    options.retention === false
      ? Object.fromEntries(FINISHED_STATUSES.map((status) => [status, null]))
      : resolveRetention(
          resolveRetention({}, DEFAULT_RETENTION, 'retention'),
          options.retention,
          'retention',
        );
  const runTasks = options.runTasks ?? true;
  if (typeof runTasks !== 'boolean') throw new InvalidOptionError('runTasks must be true or false');
  const dispatch = checkDispatch(options.dispatch, 'dispatch') ?? 'local';
  if ((!runTasks || dispatch === 'shared') && !options.backend) {
    throw new InvalidOptionError(
      `${runTasks ? "dispatch 'shared'" : 'runTasks: false'} needs a backend that instances share`,
    );
  }
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
    maxArgsBytes: integer(options.maxArgsBytes, 'maxArgsBytes', 1_048_576, 2),
    instanceIdGiven: options.instanceId !== undefined,
    taskDefaults: options.taskDefaults ?? {},
    runTasks,
    dispatch,
    maxLocalBacklog: integer(options.maxLocalBacklog, 'maxLocalBacklog', 10_000, 0),
    pollInterval: integer(options.pollInterval, 'pollInterval', 1000, 10),
    queues: resolveQueues(options.queues, retention),
    retention,
    retentionInterval: integer(options.retentionInterval, 'retentionInterval', 60_000, 100),
    priorityAging: integer(options.priorityAging, 'priorityAging', 60_000, 1),
    testing: checkTesting(options.testing),
    taskContext: checkTaskContext(options.taskContext),
  };
}
