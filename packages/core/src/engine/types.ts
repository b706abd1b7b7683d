import type { StatusCounts, TaskQuery } from '../model/task-query.js';
import type { EnqueueOptions } from '../options/index.js';
import type { PersistenceHealth } from '../persistence/persistence.js';
import type { ManagerState } from './runtime.js';
import type { TypedTaskRecord } from './typed-tasks.js';

/** What `submit()` says about one enqueue. */
export interface Submission {
  /** The task's id: the new task's, or that of the task already holding the idempotency key. */
  id: string;
  /** True when a task already held the key: nothing new was enqueued (an API may answer 200, not 202). */
  deduplicated: boolean;
}

/** `args` then `options`; `args` may be left out for a task without parameters. */
export type EnqueueParams<A extends unknown[]> = A extends []
  ? [args?: A, options?: EnqueueOptions]
  : [args: A, options?: EnqueueOptions];

/** A typed page of one task's history. */
export interface TypedTaskPage<A extends unknown[], R> {
  records: TypedTaskRecord<A, R>[];
  nextCursor: string | null;
}

/** The typed handle of one defined task: enqueues are checked against its parameters, reads carry its result type. */
export interface TaskHandle<A extends unknown[], R> {
  readonly name: string;
  /** Enqueues one run with these arguments; resolves to the task id. */
  enqueue(...params: EnqueueParams<A>): Promise<string>;
  /** Many runs at once, in one write: see `manager.enqueueMany()`. Resolves with the ids in order. */
  enqueueMany(items: ReadonlyArray<readonly [args: A, options?: EnqueueOptions]>): Promise<string[]>;
  /** As `enqueue()`, and says whether a task already holding the idempotency key answered instead. */
  submit(...params: EnqueueParams<A>): Promise<Submission>;
  /** A run of this task by id (undefined when unknown or of another task), its result typed. */
  get(id: string): Promise<TypedTaskRecord<A, R> | undefined>;
  /** History of this task only, newest first (the `name` filter is set). */
  query(query?: Omit<TaskQuery, 'name'>): Promise<TypedTaskPage<A, R>>;
  /** The run's return value once it succeeds, or its final error, whichever instance runs it (see `manager.result`). */
  result(id: string, options?: { timeout?: number }): Promise<Awaited<R>>;
}

/** Options of `stop()`. */
export interface StopOptions {
  /** How long running tasks may take to finish before they are interrupted, in ms. Default 10000. */
  timeout?: number;
}

/**
 * A part that lives and dies with a manager, such as `@errand/scheduler`:
 * started once the manager has started (and recovered), stopped before the
 * manager stops taking work.
 */
export interface ManagerComponent {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What `stats()` reports: this instance's live figures. */
export interface ManagerStats {
  instanceId: string;
  state: ManagerState;
  /** Attempts running now. */
  running: number;
  /** Tasks ready to run, waiting for a free slot. */
  queued: number;
  /** Tasks waiting for their `runAt` (delays and retry backoff). */
  delayed: number;
  /** Records held in memory. */
  retained: number;
  /** Per-status counts of the records in memory. */
  counts: StatusCounts;
  /**
   * The store as this instance sees it; null without a backend. `healthy`
   * is false while writes or heartbeats fail or the lease is lost; `lost`
   * counts records the store refused because another instance owns them
   * now, `unsaved` records given up on.
   */
  backend: (PersistenceHealth & { name: string; heartbeatHealthy: boolean; leaseValid: boolean }) | null;
}
