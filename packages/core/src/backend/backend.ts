import type { NormalizedTaskQuery, StatusCounts } from '../model/task-query.js';
import type { TaskRecord, TaskStatus } from '../model/task-record.js';
import type { ScheduleStore } from './schedule-store.js';

/** What the manager tells a backend when it opens it. */
export interface BackendContext {
  /** Where a backend reports what it cannot throw (never `console`). */
  logger: Logger;
  /**
   * `false`: open an existing store as it is, creating, migrating and
   * locking nothing (health checks and the CLI, which must not change the
   * schema under running instances). Rejects with a `SchemaVersionError`
   * when there is no Errand store there (`found` 0) or when it is at another
   * schema version than this package's. Default `true`.
   */
  migrate?: boolean;
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
  /**
   * Ids of records that were not written because the fencing rule refused
   * them: the stored row belongs to another owner (the writer lost the task
   * to a takeover). The manager treats them as lost, never as stored.
   */
  fenced: string[];
}

/**
 * What the writer knows of one record of a `write()` batch: a hint that lets a store write less.
 * - `'insert'`: this writer never stored the record (the row may still exist, after a write whose
 *   outcome was unknown, so the store must still handle a clash as `write()` says);
 * - `'transition'`: this writer stored the record before, and only fields that a transition may
 *   change (those of `TASK_FIELDS` not marked `fixed`) can differ from what it stored.
 *
 * A store that ignores it writes every record in full; the rules of `write()` (keys, fencing,
 * atomicity, results) are the same either way.
 */
export type WriteKind = 'insert' | 'transition';

/** Hints of a `write()` call, all optional (see {@link WriteKind}). */
export interface WriteHints {
  /** The kind of each record, by its index in `records`; a record without one is written in full. */
  kinds?: readonly WriteKind[];
}

/** Options of a `claim()` call. */
export interface ClaimRequest {
  /**
   * The instance taking the work; becomes the records' `owner`. The claim
   * takes nothing unless this instance's own heartbeat is alive in the
   * store, checked in the same atomic step.
   */
  instanceId: string;
  /** Only tasks with these names (the ones this instance can run). */
  names: readonly string[];
  /** At most this many records (what the claimer can run soon). */
  limit: number;
  /**
   * Owners known to be dead although their heartbeat may not have expired
   * yet: a predecessor on the same host whose process is gone, or this very
   * instance id restarting. Their unfinished work is claimable at once. May
   * include `instanceId` itself.
   */
  deadOwners?: readonly string[];
  /** Leave the work of these queues alone (paused here). */
  excludeQueues?: readonly string[];
  /**
   * Take only the work of `deadOwners` (a restart recovering its own
   * predecessor's tasks takes all of them before anything runs, and no one
   * else's backlog).
   */
  onlyDeadOwners?: boolean;
}

/** What a heartbeat brings back to its instance. */
export interface HeartbeatReply {
  /** Unfinished tasks of this instance whose cancellation another instance requested. */
  cancelRequests: string[];
  /** Every stored queue override, so a pause or a new limit reaches every instance within a heartbeat. */
  queues: QueueOverride[];
}

/**
 * A queue setting changed at run time (`pauseQueue`, `setQueueConcurrency`):
 * stored, so every instance sharing the store applies it and it survives
 * restarts. `null` means "as declared in code".
 */
export interface QueueOverride {
  name: string;
  paused: boolean | null;
  concurrency: number | null;
  globalConcurrency: number | null;
  updatedAt: number;
}

/** The fields `setQueueOverride()` changes; a field set to null is cleared. */
export type QueueOverridePatch = Partial<Pick<QueueOverride, 'paused' | 'concurrency' | 'globalConcurrency'>>;

/** What `purge()` deletes: finished records of one status, finished before a time. */
export interface PurgeRequest {
  /** A finished status (never pending or running). */
  status: TaskStatus;
  finishedBefore: number;
  /** Only these queues; null: any queue not in `excludeQueues`. */
  queues: readonly string[] | null;
  excludeQueues: readonly string[];
  /** At most this many, oldest finished first, so one call never holds the store for long. */
  limit: number;
}

/** What `cancel()` did. */
export type CancelOutcome = 'cancelled' | 'requested' | 'finished' | 'missing';

/** What `aggregate()` covers. */
export interface AggregateRequest {
  /** Finished tasks with `since <= finishedAt < until` are counted. Epoch ms. */
  since: number;
  until: number;
  /** Bucket width in ms; a bucket starts at `floor(finishedAt / bucketMs) * bucketMs`. */
  bucketMs: number;
  /** At most this many durations of successful tasks, the most recently finished first. */
  durationSample: number;
}

/** What `aggregate()` answers. */
export interface Aggregate {
  /** One row per (bucket start, status) with at least one finished task. */
  finished: Array<{ start: number; status: TaskStatus; count: number }>;
  /** Durations (ms) of successful tasks finished in the window, newest first, with their names. */
  durations: Array<{ name: string; duration: number }>;
  /** `createdAt` of the oldest pending task, whenever created; null when none is pending. */
  oldestPendingAt: number | null;
}

/**
 * What a backend supports beyond the core contract. The manager and the
 * conformance suite read it, and degrade explicitly where something is
 * missing.
 */
export interface BackendCapabilities {
  /** Several processes may share the store (false for the in-memory store). */
  multiProcess: boolean;
  /** `schedules` is present: the store can hold `@errand/scheduler` jobs. */
  schedules: boolean;
  /** The store deletes old finished records (`purge`). */
  retention: boolean;
  /**
   * The store can wake other instances at once when work arrives
   * (LISTEN/NOTIFY, pub/sub): the backend has `notify()` and `watch()`.
   * Without it, instances poll for shared work every `pollInterval`.
   */
  notify: boolean;
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

  /** What this backend supports beyond the core contract. */
  readonly capabilities: BackendCapabilities;

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
   *   a takeover): it is skipped and its id reported in `fenced`.
   *
   * A batch is atomic: when the call rejects, none of it was stored, so the
   * manager may split it to find a record the store refuses.
   *
   * `hints` may let the store write less (a transition updates only what a
   * transition changes); a store may ignore them, and a wrapper must pass
   * them on with records that keep their positions.
   */
  write(records: readonly TaskRecord[], hints?: WriteHints): Promise<WriteResult>;

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
   * `meta` is stored on the first call and may be refreshed later. Answers
   * with what other instances asked of this one since (in the same round
   * trip): the ids of its unfinished tasks whose cancellation was requested.
   */
  heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<HeartbeatReply>;

  /** Loads several records by id at once (missing ids are left out), in any order. */
  getMany(ids: readonly string[]): Promise<TaskRecord[]>;

  /**
   * Cancels a task from any instance, atomically:
   * - `pending` and owned by no one, or by an instance whose heartbeat has
   *   expired: it becomes `cancelled` (`finishedAt = storeNow`, error
   *   `'cancelled'`, `cancelRequested` true) → `'cancelled'`;
   * - `pending` or `running` and owned by a live instance: only
   *   `cancelRequested` is set; that instance cancels it when its next
   *   heartbeat reports the request → `'requested'`;
   * - finished → `'finished'`; unknown id → `'missing'`.
   */
  cancel(id: string): Promise<CancelOutcome>;

  /** Deletes the heartbeat row at a clean stop, so others may claim at once. */
  removeInstance(instanceId: string): Promise<void>;

  /** All heartbeat rows, alive or expired (expired ones are kept for a while for health output). */
  instances(): Promise<InstanceInfo[]>;

  /**
   * Atomically takes over unfinished work whose owner is gone.
   *
   * Nothing is taken unless `instanceId` has a heartbeat row with
   * `expiresAt > storeNow` (checked in the same atomic step: an instance
   * that lost its lease cannot take work).
   *
   * Candidates: records whose `name` is in `names`, whose owner is null, in
   * `deadOwners`, or has no heartbeat row with `expiresAt > storeNow` (never
   * `instanceId` itself unless it is in `deadOwners`), and whose status is
   * `pending`, `running`, or `interrupted` with `requeueOnInterrupt`. Each
   * taken record gets `owner = instanceId` and:
   * - `pending` stays `pending`;
   * - `running` becomes `pending` when `requeueOnInterrupt`, otherwise
   *   `interrupted` with `finishedAt = storeNow` and an error that names
   *   the lost owner;
   * - `interrupted` (with `requeueOnInterrupt`) becomes `pending`.
   *
   * An unowned record is taken only once it is due (`runAt <= storeNow`):
   * shared work for later is not hoarded by whoever claims first. A gone
   * owner's records are taken whatever their `runAt`.
   *
   * Two instances claiming at once never get the same record (row locks,
   * `SKIP LOCKED`, a Lua script). Returns the records as now stored; at most
   * `limit`, highest `priority` first, then oldest `createdAt`, then id.
   */
  claim(request: ClaimRequest): Promise<TaskRecord[]>;

  /** The store's current time in epoch ms: lease and schedule decisions use it. */
  now(): Promise<number>;

  /**
   * Aggregates of the whole history for dashboards and health checks, in
   * one call: finished tasks per time bucket and status, recent durations
   * per task name, and the oldest pending task. Reads indexes only (the
   * finished-time index and the claimable index).
   */
  aggregate(request: AggregateRequest): Promise<Aggregate>;

  /**
   * Stores a queue override (fields set to null are cleared; an override
   * with nothing left is deleted) and returns it as stored, or null.
   */
  setQueueOverride(name: string, patch: QueueOverridePatch): Promise<QueueOverride | null>;

  /**
   * A fleet-wide semaphore (a queue's `globalConcurrency`; core keys them
   * `slots:<queue>`, and token buckets `rate:<queue>`, so the two never
   * share a key), atomically:
   * grants up to `want` more units to `holder` so that the units held by
   * live holders (a heartbeat alive) stay within `limit`; returns how many
   * it granted. Units of a holder that died are freed by its death.
   */
  acquire(key: string, holder: string, want: number, limit: number): Promise<number>;

  /** Gives back `count` units of `key` held by `holder`. */
  release(key: string, holder: string, count: number): Promise<void>;

  /**
   * A fleet-wide token bucket (a queue's `rateLimit`), atomically: refills
   * `max` tokens per `perMs` (never above `max`) on the store's clock, takes
   * up to `want`, returns how many it took.
   */
  takeTokens(key: string, want: number, rate: { max: number; perMs: number }): Promise<number>;

  /**
   * Deletes finished records past their retention, at most `limit` per call,
   * oldest finished first; never an unfinished one. Returns how many.
   */
  purge(request: PurgeRequest): Promise<number>;

  /**
   * A lease on a named piece of singleton work (retention): true when
   * `holder` holds it now (taken, or renewed), until `ttlMs` from now.
   */
  tryLock(name: string, holder: string, ttlMs: number): Promise<boolean>;

  /**
   * Tells every watching instance that unowned work was stored (only with
   * `capabilities.notify`). Cheap and fire-and-forget: a lost notification
   * costs a poll interval, never a task.
   */
  notify?(): Promise<void>;

  /**
   * Calls `onWork` whenever any instance calls `notify()` on this store
   * (only with `capabilities.notify`), until the returned function is called.
   * Uses its own connection; reconnects by itself.
   */
  watch?(onWork: () => void): Promise<() => Promise<void>>;

  /**
   * Persistent scheduler state. Optional until a backend supports
   * `@errand/scheduler`; the conformance suite checks it when present.
   */
  readonly schedules?: ScheduleStore;
}
