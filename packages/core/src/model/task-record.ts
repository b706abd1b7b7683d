/**
 * Lifecycle states of a task.
 *
 * `pending` → `running` → `success` | `failed`; `running` → `interrupted` when
 * its process stopped before it finished; `pending`/`running` → `cancelled`
 * on request; `rejected` when a full queue refused it; `pending` →
 * `expired` when it was not started by its deadline (`expiresIn`). A failed
 * attempt with retries left goes back to `pending` with a `runAt` in the future.
 */
export type TaskStatus =
  | 'pending'
  | 'running'
  | 'success'
  | 'failed'
  | 'interrupted'
  | 'cancelled'
  | 'rejected'
  | 'expired';

/** Every status, in lifecycle order (handy for counts and validation). */
export const TASK_STATUSES: readonly TaskStatus[] = Object.freeze([
  'pending',
  'running',
  'success',
  'failed',
  'interrupted',
  'cancelled',
  'rejected',
  'expired',
]);

/** States a task never leaves on its own (only `retry()` moves it on). */
export const FINISHED_STATUSES: readonly TaskStatus[] = Object.freeze([
  'success',
  'failed',
  'interrupted',
  'cancelled',
  'rejected',
  'expired',
]);

/**
 * States in which a task holds its idempotency key. `interrupted` holds it
 * because the task may already have had its effect; `failed`, `cancelled`,
 * `rejected` and `expired` release it, so the same key can be enqueued again.
 */
export const KEY_HOLDING_STATUSES: readonly TaskStatus[] = Object.freeze([
  'pending',
  'running',
  'success',
  'interrupted',
]);

/** States that a backend's `claim()` may take over from a dead owner. */
export const UNFINISHED_STATUSES: readonly TaskStatus[] = Object.freeze(['pending', 'running']);

export function isFinished(status: TaskStatus): boolean {
  return status !== 'pending' && status !== 'running';
}

export function holdsKey(status: TaskStatus): boolean {
  return status === 'pending' || status === 'running' || status === 'success' || status === 'interrupted';
}

/** One structured log line written by a task through `ctx.log()`. */
export interface TaskLogLine {
  /** Epoch milliseconds. */
  at: number;
  message: string;
  fields?: Record<string, unknown>;
}

/**
 * The stored form of a task: exactly what a backend saves and loads.
 *
 * All times are epoch milliseconds (numbers), so every backend round-trips
 * them exactly. `args`, `result`, `logs` and `tags` are JSON values.
 */
export interface TaskRecord {
  /** Unique, time-ordered id (UUID v7). */
  id: string;
  /** Name the task was defined with. */
  name: string;
  /** Named queue (its concurrency, size, rate limit and retention); `'default'` unless set. */
  queue: string;
  /** Higher runs first within a queue; 0 by default. */
  priority: number;
  /**
   * Labels as key/value pairs (`{ userId: '42' }`), queryable on every
   * backend. Records stored by earlier versions with a list of strings read
   * back as those keys with an empty value.
   */
  tags: Record<string, string>;
  /** Arguments as passed to `enqueue()`; validated to round-trip through JSON. */
  args: unknown[];
  status: TaskStatus;
  /** Attempts started so far (1 while the first attempt runs). */
  attempt: number;
  /** `retries + 1` at enqueue time. */
  maxAttempts: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Milliseconds the last attempt took. */
  duration: number | null;
  /** The earliest time the next attempt may start. */
  runAt: number;
  /** The latest time the task may start (epoch ms): not started by then, it ends `expired`. Null: no deadline. */
  expiresAt: number | null;
  error: string | null;
  stack: string | null;
  logs: TaskLogLine[];
  /** Last value passed to `ctx.progress()`. */
  progress: number | null;
  /** The returned value when it is JSON and small enough (`maxResultBytes`). */
  result: unknown;
  idempotencyKey: string | null;
  /** Instance that currently owns (runs or will run) the task. */
  owner: string | null;
  /** Re-dispatch this task when it was interrupted (the work is idempotent). */
  requeueOnInterrupt: boolean;
  /**
   * Some instance asked for the task to be cancelled (`cancel()` on a task
   * another instance owns). Sticky in the store: only a manual retry clears it.
   */
  cancelRequested: boolean;
  /**
   * Context carried with the task from where it was enqueued to wherever
   * it runs, such as a trace parent (`traceparent`); not for business data
   * (use `tags`). Empty by default.
   */
  headers: Record<string, string>;
}

/**
 * Shared empty values of the finished records the manager keeps: most tasks have no tags, headers or
 * log lines, and thousands of retained records need not each hold three empty objects of their own.
 * Frozen, so that a write goes through {@link appendLog} or replaces the object, never changes them
 * for all. New records get their own (code that appends to a running task's logs stays valid).
 */
export const EMPTY_LOGS = Object.freeze([]) as unknown as TaskLogLine[];
export const EMPTY_TAGS = Object.freeze({}) as Record<string, string>;
export const EMPTY_HEADERS = Object.freeze({}) as Record<string, string>;

/** Adds a log line, giving the record an array of its own when it still shares {@link EMPTY_LOGS}. */
export function appendLog(record: TaskRecord, line: TaskLogLine): void {
  if (record.logs === EMPTY_LOGS) record.logs = [line];
  else record.logs.push(line);
}

/**
 * A record that finished: empty tags, headers and logs become the shared ones (enqueue middleware,
 * the only writer of the first two, is done with it), so a retained record keeps no empty objects of
 * its own.
 */
export function shareEmpties(record: TaskRecord): void {
  if (record.tags !== EMPTY_TAGS && isEmpty(record.tags)) record.tags = EMPTY_TAGS;
  if (record.headers !== EMPTY_HEADERS && isEmpty(record.headers)) record.headers = EMPTY_HEADERS;
  if (record.logs !== EMPTY_LOGS && record.logs.length === 0) record.logs = EMPTY_LOGS;
}

function isEmpty(object: object): boolean {
  return Object.keys(object).length === 0;
}

/** Copies a record so that a caller cannot change the manager's own. */
export function cloneRecord(record: TaskRecord): TaskRecord {
  return { ...record, tags: { ...record.tags }, headers: { ...record.headers }, logs: record.logs.slice() };
}

/**
 * Tags as stored: a JSON object of strings; a list of strings (records of
 * earlier versions) reads as those keys with an empty value.
 */
export function normalizeTags(value: unknown): Record<string, string> {
  if (Array.isArray(value)) return Object.fromEntries(value.map((tag) => [String(tag), '']));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, tag]) => [key, String(tag)]));
  }
  return {};
}
