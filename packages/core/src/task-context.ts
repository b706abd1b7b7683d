import { assertJsonValue } from './json-value.js';
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
  /** Aborts on timeout, `cancel()` and at the end of `stop()`'s grace period. Pass it to fetch, streams, timers. */
  readonly signal: AbortSignal;
  /** Appends a structured log line to the task's record (shown in the dashboard, stored with the record). */
  log(message: string, fields?: Record<string, unknown>): void;
  /** Records progress (any finite number; 0 to 100 by convention). */
  progress(value: number): void;
}

/** Hooks the manager gives each context. */
export interface ContextHost {
  maxLogLines: number;
  /** A record changed in a way the backend should see. */
  changed(state: TaskState): void;
}

/** The `ctx` of one attempt. Bound to its attempt: calls after it ended are ignored. */
export class AttemptContext implements TaskContext {
  readonly id: string;
  readonly name: string;
  readonly attempt: number;
  readonly idempotencyKey: string | null;
  readonly #state: TaskState;
  readonly #host: ContextHost;
  #signal: AbortSignal | null = null;

  constructor(state: TaskState, host: ContextHost) {
    const { record } = state;
    this.id = record.id;
    this.name = record.name;
    this.attempt = record.attempt;
    this.idempotencyKey = record.idempotencyKey;
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
    if (logs.length === limit) {
      logs.push({ at: Date.now(), message: `log limit of ${limit} lines reached; later lines dropped` });
    } else if (fields === undefined) {
      logs.push({ at: Date.now(), message: String(message) });
    } else {
      assertJsonValue(fields, 'log fields');
      logs.push({ at: Date.now(), message: String(message), fields });
    }
    this.#host.changed(this.#state);
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
