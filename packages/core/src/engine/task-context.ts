import { jsonByteLength, measureJsonValue } from '../model/json-value.js';
import { appendLog, type TaskLogLine } from '../model/task-record.js';
import type { TaskState } from './task-state.js';

/** What a task function receives as its first argument. */
export interface TaskContext {
  /** The task's id. */
  readonly id: string;
  /** The task's name. */
  readonly name: string;
  /** 1 for the first attempt, 2 for the first retry... */
  readonly attempt: number;
  /** The idempotency key it was enqueued with, or null. */
  readonly idempotencyKey: string | null;
  /** The named queue it runs in. */
  readonly queue: string;
  /** Its tags, as enqueued (read-only: a copy would cost every attempt). */
  readonly tags: Readonly<Record<string, string>>;
  /** Context carried from where it was enqueued, such as `traceparent` (read-only). */
  readonly headers: Readonly<Record<string, string>>;
  /** Aborts on timeout, `cancel()` and at the end of `stop()`'s grace period. Pass it to fetch, streams, timers. */
  readonly signal: AbortSignal;
  /**
   * Appends a structured log line to the task's record (shown in the
   * dashboard, stored with the record). A message longer than 16 KiB is
   * cut, and fields above 16 KiB of JSON are replaced by a note: one huge
   * line must not make the store refuse the whole record.
   */
  log(message: string, fields?: Record<string, unknown>): void;
  /** Records progress (any finite number; 0 to 100 by convention). */
  progress(value: number): void;
  /**
   * Puts the task back to `pending` for `ms` without using an attempt (the
   * work is not ready yet: a rate-limited API, a resource still busy).
   * Ends the attempt at once: call it as `return ctx.snooze(5000)`.
   */
  snooze(ms: number): never;
}

/** Thrown by `ctx.snooze()`; the attempt runner turns it into a pending task again. */
export class SnoozeRequest {
  readonly ms: number;

  constructor(ms: number) {
    this.ms = ms;
  }
}

/** Longest log message kept, and the largest fields (JSON bytes) of one line. */
const MAX_LOG_TEXT = 16 * 1024;

function boundedFields(fields: Record<string, unknown>): Record<string, unknown> {
  // Throws InvalidArgumentsError for fields JSON cannot hold, as before.
  if (measureJsonValue(fields, 'log fields') <= MAX_LOG_TEXT || jsonByteLength(fields) <= MAX_LOG_TEXT) {
    return fields;
  }
  return { dropped: `fields of ${jsonByteLength(fields)} bytes, above 16 KiB` };
}

/** Hooks the manager gives each context. */
export interface ContextHost {
  maxLogLines: number;
  /** A record changed in a way the backend should see. */
  changed(state: TaskState): void;
  /** A log line was appended (observers hear of it). */
  logged(state: TaskState, line: TaskLogLine): void;
}

/** The `ctx` of one attempt. Bound to its attempt: calls after it ended are ignored. */
export class AttemptContext implements TaskContext {
  readonly id: string;
  readonly name: string;
  readonly attempt: number;
  readonly idempotencyKey: string | null;
  readonly queue: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly #state: TaskState;
  readonly #host: ContextHost;
  #signal: AbortSignal | null = null;

  constructor(state: TaskState, host: ContextHost) {
    const { record } = state;
    this.id = record.id;
    this.name = record.name;
    this.attempt = record.attempt;
    this.idempotencyKey = record.idempotencyKey;
    this.queue = record.queue;
    this.tags = record.tags;
    this.headers = record.headers;
    this.#state = state;
    this.#host = host;
  }

  get signal(): AbortSignal {
    if (this.#signal === null) {
      // Made on first use: an AbortController per attempt would cost more than the
      // whole dispatch of a small task. An attempt already ended gets an aborted one.
      const state = this.#state;
      if (this.#live() && state.interrupt !== null) {
        state.controller ??= new AbortController();
        this.#signal = state.controller.signal;
      } else {
        this.#signal = AbortSignal.abort(new Error('the attempt has ended'));
      }
    }
    return this.#signal;
  }

  #live(): boolean {
    const { record } = this.#state;
    return record.status === 'running' && record.attempt === this.attempt;
  }

  log(message: string, fields?: Record<string, unknown>): void {
    if (!this.#live()) return;
    const { logs } = this.#state.record;
    const limit = this.#host.maxLogLines;
    if (logs.length > limit) return;
    let line: TaskLogLine;
    if (logs.length === limit) {
      line = { at: Date.now(), message: `log limit of ${limit} lines reached; later lines dropped` };
    } else {
      const text = String(message);
      line = {
        at: Date.now(),
        message: text.length > MAX_LOG_TEXT ? `${text.slice(0, MAX_LOG_TEXT)}… (cut at 16 KiB)` : text,
      };
      if (fields !== undefined) line.fields = boundedFields(fields);
    }
    appendLog(this.#state.record, line);
    this.#host.changed(this.#state);
    this.#host.logged(this.#state, line);
  }

  snooze(ms: number): never {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 2_147_483_647) {
      throw new TypeError(`snooze takes a number of ms from 0 to 2147483647, got ${String(ms)}`);
    }
    throw new SnoozeRequest(ms);
  }

  progress(value: number): void {
    if (!this.#live()) return;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`progress must be a finite number, got ${String(value)}`);
    }
    this.#state.record.progress = value;
    this.#host.changed(this.#state);
  }
}
