import { TaskTimeoutError } from '../errors/task-timeout-error.js';
import { endedAttemptLine } from '../model/attempt-line.js';
import { fitsAsResult } from '../model/json-value.js';
import { appendLog, type TaskStatus } from '../model/task-record.js';
import type { Persistence } from '../persistence/persistence.js';
import type { Dispatcher } from './dispatcher.js';
import type { MiddlewareChain } from './middleware.js';
import { retryDelay } from './retry.js';
import type { Runtime } from './runtime.js';
import { AttemptContext, type ContextHost, SnoozeRequest } from './task-context.js';
import { taskContextStorage } from './task-context-storage.js';
import type { AbortReason, TaskState } from './task-state.js';
import { describeThrown } from './thrown-value.js';

/** The error of a task whose instance stopped before it finished. */
export const SHUTDOWN_ERROR = 'the instance stopped before the task finished';
/** The error of a task whose attempt was aborted because the lease lapsed. */
export const LEASE_LOST_ERROR =
  'the instance could not renew its heartbeat within leaseTtl, so another instance may take the task over';

/** Whether a thrown value is `ctx.snooze()`'s; a Proxy whose traps throw is simply not. */
function isSnooze(value: unknown): value is SnoozeRequest {
  try {
    return value instanceof SnoozeRequest;
  } catch {
    return false;
  }
}

/**
 * Runs one attempt of a task and turns its end into the task's next state:
 * success, a retry after backoff, failed, or, when the manager ended the
 * attempt early, cancelled / interrupted / pending again. Nothing a task
 * throws, however odd, escapes it.
 */
export class AttemptRunner {
  readonly #runtime: Runtime;
  readonly #dispatcher: () => Dispatcher;
  readonly #persistence: Persistence;
  readonly #contextHost: ContextHost;
  readonly #middleware: MiddlewareChain;
  /** Attempts running now, for stop() and lease loss to reach them. */
  readonly #running = new Set<TaskState>();

  constructor(
    runtime: Runtime,
    persistence: Persistence,
    dispatcher: () => Dispatcher,
    middleware: MiddlewareChain,
  ) {
    this.#runtime = runtime;
    this.#middleware = middleware;
    this.#persistence = persistence;
    this.#dispatcher = dispatcher;
    this.#contextHost = {
      maxLogLines: runtime.options.maxLogLines,
      changed: (state) => persistence.changed(state),
      logged: (state, line) => runtime.emit('log', state.record, line),
    };
  }

  /** Runs the attempt of a task marked running, on a later microtask so that `enqueue()` returns first. */
  launch(state: TaskState): void {
    this.#running.add(state);
    queueMicrotask(() => void this.#execute(state));
  }

  /** Ends a running attempt at once with `error` as its signal's reason. False when it was not running. */
  interrupt(state: TaskState, reason: AbortReason, error: Error): boolean {
    if (state.record.status !== 'running' || state.abortReason !== null) return false;
    state.abortReason = reason;
    state.interrupt?.(error);
    return true;
  }

  /** Ends every running attempt (stop() out of time, lease lost). */
  interruptAll(reason: AbortReason, error: (state: TaskState) => Error): number {
    let count = 0;
    for (const state of this.#running) if (this.interrupt(state, reason, error(state))) count++;
    return count;
  }

  async #execute(state: TaskState): Promise<void> {
    let ok = true;
    let value: unknown;
    try {
      if (state.abortReason === null) {
        this.#runtime.emit('started', state.record);
        value = await this.#call(state);
      }
    } catch (error) {
      ok = false;
      value = error;
    } finally {
      state.interrupt = null;
      state.controller = null;
    }
    try {
      this.#settle(state, ok, value);
    } catch (error) {
      // Only a bug of ours can land here; the task must still give its slot back.
      this.#runtime.options.logger.error(`settling task ${state.record.id} failed`, {
        error: describeThrown(error).message,
      });
      this.#running.delete(state);
      this.#dispatcher().settled(state);
    }
  }

  /** Calls the task function; timeout, cancel, shutdown and lease loss end the attempt here, listened to or not. */
  #call(state: TaskState): Promise<unknown> {
    const { record } = state;
    const definition = this.#runtime.definitions.get(record.name)!;
    const timeout = definition.options.timeout;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<unknown>((resolve, reject) => {
      state.interrupt = (reason) => {
        state.interrupt = null;
        state.controller?.abort(reason);
        reject(reason);
      };
      if (timeout !== null) {
        timer = setTimeout(() => {
          state.interrupt?.(new TaskTimeoutError(`task "${record.name}" timed out after ${timeout} ms`));
        }, timeout);
      }
      const ctx = new AttemptContext(state, this.#contextHost);
      const call = () => this.#middleware.execute(ctx, () => definition.fn(ctx, ...record.args));
      // currentTask() reads the context from here, however deep the task's own calls go.
      const returned = this.#runtime.options.taskContext ? taskContextStorage.run(ctx, call) : call();
      if (returned instanceof Promise) returned.then(resolve, reject);
      else resolve(returned);
    }).finally(() => clearTimeout(timer));
  }

  #settle(state: TaskState, ok: boolean, value: unknown): void {
    const { record } = state;
    const { cache, emit, options } = this.#runtime;
    const now = Date.now();
    record.duration = record.startedAt === null ? null : now - record.startedAt;
    const reason = state.abortReason;
    state.abortReason = null;
    state.location = 'none';
    this.#running.delete(state);
    const finish = (status: TaskStatus, error: string | null) => {
      record.finishedAt = now;
      if (error !== null) record.error = error;
      cache.setStatus(state, status);
    };
    let retryIn: number | null = null;
    if (reason === 'lost') {
      // Another instance owns it now; only the local record changes.
      finish('interrupted', record.error ?? 'another instance owns the task now');
    } else if (reason === 'shutdown') {
      finish('interrupted', SHUTDOWN_ERROR);
      emit('interrupted', record);
    } else if (reason === 'cancel') {
      finish('cancelled', 'cancelled');
      emit('cancelled', record);
    } else if (reason === 'lease') {
      record.error = LEASE_LOST_ERROR;
      if (record.requeueOnInterrupt) {
        retryIn = 0;
        cache.setStatus(state, 'pending');
      } else {
        finish('interrupted', LEASE_LOST_ERROR);
        emit('interrupted', record);
      }
    } else if (!ok && isSnooze(value)) {
      // Not ready yet: back to pending, and the attempt does not count.
      record.attempt--;
      retryIn = value.ms;
      cache.setStatus(state, 'pending');
    } else if (ok) {
      if (fitsAsResult(value, options.maxResultBytes)) record.result = value;
      else if (value !== undefined) {
        appendLog(record, { at: now, message: 'result not stored: not JSON, or larger than maxResultBytes' });
      }
      record.error = null;
      record.stack = null;
      finish('success', null);
      emit('success', record);
    } else {
      const { message, stack } = describeThrown(value);
      record.error = message;
      record.stack = stack;
      if (record.attempt < record.maxAttempts) {
        retryIn = retryDelay(this.#runtime.definitions.get(record.name)!.options, record.attempt);
        cache.setStatus(state, 'pending');
        emit('retrying', record, value, retryIn);
      } else {
        finish('failed', null);
        emit('failed', record, value);
      }
    }
    const dispatcher = this.#dispatcher();
    // Unit tests in inline mode do not wait for backoffs or snoozes.
    if (retryIn !== null && this.#runtime.options.testing === 'inline') retryIn = 0;
    if (retryIn !== null) {
      record.runAt = now + retryIn;
      // A snooze gives its attempt back; any other attempt that ends here is kept in the log.
      if (record.error !== null && !isSnooze(value))
        appendLog(record, endedAttemptLine(record, now, retryIn));
      // While stopping, the task stays pending and is saved for the next start.
      if (this.#runtime.state() === 'running') dispatcher.schedule(state);
    }
    this.#persistence.persist(state);
    if (record.status !== 'pending') this.#persistence.evict();
    dispatcher.settled(state);
  }
}
