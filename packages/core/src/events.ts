import type { BackendError } from './errors/backend-error.js';
import type { TaskLogLine, TaskRecord } from './model/task-record.js';

/** A read-only view of a task record as the manager holds it. */
export type TaskSnapshot = Readonly<TaskRecord>;

/** Every event of `TaskManager`, by name. */
export interface TaskEvents {
  /** A task was accepted (stored first, in durable mode). */
  enqueued: (task: TaskSnapshot) => void;
  /** An attempt started. */
  started: (task: TaskSnapshot) => void;
  /** The task returned; `task.result` holds the value when it was small enough. */
  success: (task: TaskSnapshot) => void;
  /** The last attempt threw (or timed out); no retries are left. */
  failed: (task: TaskSnapshot, error: unknown) => void;
  /** An attempt threw and another one is scheduled after `delayMs`. */
  retrying: (task: TaskSnapshot, error: unknown, delayMs: number) => void;
  /** The task's process stopped (shutdown, crash, lost lease) before it finished. */
  interrupted: (task: TaskSnapshot) => void;
  /** `cancel()` ended the task. */
  cancelled: (task: TaskSnapshot) => void;
  /** The task was not started before its deadline (`expiresIn`). */
  expired: (task: TaskSnapshot) => void;
  /** A full queue refused the task (`QueueFullError`); it is kept in history as `rejected`. */
  rejected: (task: TaskSnapshot) => void;
  /** A running task wrote a line with `ctx.log()` (already appended to `task.logs`). */
  log: (task: TaskSnapshot, line: TaskLogLine) => void;
  /** A batch of records reached the backend. */
  flushed: (info: { count: number; durationMs: number }) => void;
  /** A backend call failed; the manager keeps running and retries. */
  backendError: (error: BackendError) => void;
  /**
   * This instance could not renew its heartbeat for `leaseTtl`: another
   * instance may take its tasks over. Running attempts are aborted with a
   * `LeaseLostError` and nothing starts until `leaseRestored`.
   */
  leaseLost: (info: { instanceId: string; sinceMs: number }) => void;
  /**
   * The heartbeat is renewed again and ownership re-read: `handedOver` tasks
   * that other instances took meanwhile were dropped from this instance.
   */
  leaseRestored: (info: { instanceId: string; handedOver: number }) => void;
  /**
   * The store refused a write of this task because another instance owns it
   * now (it took the task over). The local record is `interrupted`; the
   * store keeps the other instance's version.
   */
  lost: (task: TaskSnapshot, reason: string) => void;
  /**
   * `stop()`'s final flush could not save these records before its
   * deadline: they are not in the store (also logged, with the ids).
   */
  unsaved: (info: { count: number; ids: string[]; error: string | null }) => void;
}

type Listener = (...args: never[]) => void;

/**
 * A small typed event emitter. Emitting to no listener costs one map
 * lookup, so the hot path pays nothing for events nobody watches. A
 * listener that throws is reported, never allowed to break a task.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();
  #onListenerError: (error: unknown, event: string) => void = () => {};

  /** Where listener exceptions go (the manager's logger). */
  protected setListenerErrorHandler(handler: (error: unknown, event: string) => void): void {
    this.#onListenerError = handler;
  }

  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  once<E extends keyof Events>(event: E, listener: Events[E]): this {
    const wrapper = ((...args: Parameters<Events[E]>) => {
      this.off(event, wrapper as Events[E]);
      (listener as unknown as (...a: unknown[]) => void)(...args);
    }) as unknown as Events[E];
    return this.on(event, wrapper);
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  /** Whether anybody listens: lets callers skip building a payload. */
  protected hasListeners(event: keyof Events): boolean {
    const set = this.#listeners.get(event);
    return set !== undefined && set.size > 0;
  }

  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of set) {
      try {
        (listener as unknown as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.#onListenerError(error, String(event));
      }
    }
  }
}
