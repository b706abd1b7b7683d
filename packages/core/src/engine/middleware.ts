import type { TaskRecord } from '../model/task-record.js';
import type { TaskContext } from './task-context.js';

/**
 * Code around every enqueue and every attempt, registered with
 * `manager.use()` and run in registration order (the first registered is
 * the outermost).
 */
export interface Middleware {
  /**
   * Around an enqueue, once the record is built and checked: may add tags
   * (`task.tags.source = 'api'`), veto by throwing (nothing is stored), or
   * time it. `next()` accepts the task and resolves once it is accepted.
   */
  enqueue?(task: TaskRecord, next: () => Promise<void>): Promise<void>;
  /**
   * Around every attempt: `next()` runs the task (or the next middleware)
   * and resolves with what it returns. Timing, a trace context, a database
   * transaction...
   */
  execute?(ctx: TaskContext, next: () => Promise<unknown>): Promise<unknown>;
}

/** The middlewares of one manager, composed. */
export class MiddlewareChain {
  readonly #enqueue: Array<NonNullable<Middleware['enqueue']>> = [];
  readonly #execute: Array<NonNullable<Middleware['execute']>> = [];

  use(middleware: Middleware): void {
    if (middleware.enqueue) this.#enqueue.push(middleware.enqueue.bind(middleware));
    if (middleware.execute) this.#execute.push(middleware.execute.bind(middleware));
  }

  /** Adds a middleware outside every other one (built-in tracing wraps the user's middlewares too). */
  prepend(middleware: Middleware): void {
    if (middleware.enqueue) this.#enqueue.unshift(middleware.enqueue.bind(middleware));
    if (middleware.execute) this.#execute.unshift(middleware.execute.bind(middleware));
  }

  /** Runs `accept` inside every enqueue middleware; with none, calls it directly. */
  enqueue<T>(task: TaskRecord, accept: () => Promise<T>): Promise<T> {
    if (this.#enqueue.length === 0) return accept();
    let result: T;
    const run = this.#enqueue.reduceRight<() => Promise<void>>(
      (next, middleware) => () => middleware(task, next),
      async () => {
        result = await accept();
      },
    );
    return run().then(() => result);
  }

  /** Runs `call` (the task function) inside every execute middleware. */
  execute(ctx: TaskContext, call: () => unknown): unknown {
    if (this.#execute.length === 0) return call();
    return this.#execute.reduceRight<() => Promise<unknown>>(
      (next, middleware) => () => middleware(ctx, next),
      async () => call(),
    )();
  }
}
