import type { ScheduleStore } from './schedule-store.js';
import type { NormalizedTaskQuery, StatusCounts } from './task-query.js';
import type { TaskRecord } from './task-record.js';

/** What the manager tells a backend when it opens it. */
export interface BackendContext {
  /** Where a backend reports what it cannot throw (never `console`). */
  logger: Logger;
}

/** A minimal structured logger; `console` fits. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Result of one `write()` batch. */
export interface WriteResult {
  /**
   * Records that were not written because another task (a different id)
   * holds the same idempotency key in a key-holding status. `existingId` is
   * that task's id.
   */
  conflicts: Array<{ id: string; existingId: string }>;
}

/** Options of a `claim()` call. */
export interface ClaimRequest {
  /** The live instance taking the work; becomes the records' `owner`. */
  instanceId: string;
  /** Only tasks with these names (the ones this instance can run). */
  names: readonly string[];
  /** At most this many records. */
  limit: number;
}

/** A live (or recently live) instance, as its heartbeat row shows it. */
export interface InstanceInfo {
  id: string;
  /** Epoch ms (store clock) after which the instance counts as dead. */
  expiresAt: number;
  /** Epoch ms of its first heartbeat. */
  startedAt: number;
  /** Free-form JSON the instance published (host, pid, version...). */
  meta: Record<string, unknown>;
}

/**
 * The persistence contract every Errand backend implements, and which the
 * conformance suite in `@errand/core/testing` checks.
 *
 * The manager owns all task logic; a backend only stores and answers. Its
 * three hard duties are atomicity (`write`, `claim` and idempotency hold
 * across any number of instances sharing the store), fencing (an instance
 * that lost a task can no longer overwrite it) and honest errors (a failed
 * call rejects; the manager retries).
 *
 * Lease model: each instance renews one heartbeat row (`heartbeat`), not one
 * lease per task. A task is owned by `record.owner`; an owner is alive while
 * its heartbeat row's `expiresAt` is in the future of the store's clock.
 */
export interface SnapshotBackend {
  /** Short name for logs and health output (`'sqlite'`, `'postgres'`...). */
  readonly name: string;

  /**
   * Connects and creates or migrates the schema. Safe when several
   * instances open the same store at once. Called once per manager start;
   * a wrong URL or password rejects here with a clear error.
   */
  open(context: BackendContext): Promise<void>;

  /** Releases what the backend created; never closes a client it was given. */
  close(): Promise<void>;

  /**
   * Stores a batch of records in one transaction / pipeline (group commit).
   *
   * Per record, atomically:
   * - If it has an `idempotencyKey` held (status pending, running, success or
   *   interrupted) by another record id, it is not written and is reported in
   *   `conflicts`. Such a conflict never fails the rest of the batch.
   * - Otherwise it is inserted, or, when the id exists, updated in full, but
   *   only when the stored row's `owner` equals `record.owner` (or is null),
   *   or when the stored row is finished and `record.status` is `pending` (a
   *   manual retry). Any other update is stale (its instance lost the task to
   *   a takeover) and is skipped silently.
   */
  write(records: readonly TaskRecord[]): Promise<WriteResult>;

  /** Loads one record by id, or `null`. */
  get(id: string): Promise<TaskRecord | null>;

  /**
   * History, newest first by `(createdAt desc, id desc)`: at most
   * `query.limit` records matching every set field, strictly after
   * `query.after` in that order. Core turns the rows into pages and cursors.
   */
  query(query: NormalizedTaskQuery): Promise<TaskRecord[]>;

  /** Totals per status for the records matching `query` (limit and cursor ignored). */
  counts(query: NormalizedTaskQuery): Promise<StatusCounts>;

  /**
   * Registers or renews this instance's heartbeat: `expiresAt = storeNow + ttlMs`.
   * `meta` is stored on the first call and may be refreshed later.
   */
  heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<void>;

  /** Deletes the heartbeat row at a clean stop, so others may claim at once. */
  removeInstance(instanceId: string): Promise<void>;

  /** All heartbeat rows, alive or expired (expired ones are kept for a while for health output). */
  instances(): Promise<InstanceInfo[]>;

  /**
   * Atomically takes over unfinished work whose owner is gone.
   *
   * Candidates: records whose `name` is in `names`, whose owner is null or has
   * no heartbeat row with `expiresAt > storeNow` (never `instanceId` itself),
   * and whose status is `pending`, `running`, or `interrupted` with
   * `requeueOnInterrupt`. Each taken record gets `owner = instanceId` and:
   * - `pending` stays `pending`;
   * - `running` becomes `pending` when `requeueOnInterrupt`, otherwise
   *   `interrupted` with `finishedAt = storeNow` and an error that names
   *   the lost owner;
   * - `interrupted` (with `requeueOnInterrupt`) becomes `pending`.
   *
   * Two instances claiming at once never get the same record (row locks,
   * `SKIP LOCKED`, a Lua script). Returns the records as now stored; at most
   * `limit`, oldest `createdAt` first.
   */
  claim(request: ClaimRequest): Promise<TaskRecord[]>;

  /** The store's current time in epoch ms: lease and schedule decisions use it. */
  now(): Promise<number>;

  /**
   * Persistent scheduler state. Optional until a backend supports
   * `@errand/scheduler`; the conformance suite checks it when present.
   */
  readonly schedules?: ScheduleStore;
}
