import { MessageChannel } from 'node:worker_threads';
import type { TaskContext } from '../engine/task-context.js';
import type { TaskOptions } from '../options/index.js';
import type { ThreadOutcome, ThreadPool } from './thread-pool.js';

/** Options of a task whose module runs in a worker thread: `define(name, new URL(...), { thread: true })`. */
export interface ThreadTaskOptions extends TaskOptions {
  /** Run the module's default export `(ctx, ...args)` in the manager's pool of worker threads. */
  thread: true;
}

/** How long to wait for log lines still in the channel once the thread answered (they are normally there already). */
const DRAIN_MS = 1000;

/** A thread's error as an Error here, with its name, stack and code. */
function rebuild(described: Extract<ThreadOutcome, { error: unknown }>['error']): Error {
  const error = new Error(described.message);
  error.name = described.name;
  if (described.stack) error.stack = described.stack;
  if (described.code !== null) (error as Error & { code?: string }).code = described.code;
  return error;
}

/**
 * The task function that runs `module` in `pool`: the attempt's `ctx.log()`
 * and `ctx.progress()` calls arrive through a message channel while the
 * thread works, and a timeout or cancel (the attempt's signal) terminates
 * the thread. Results and errors come back as for any task.
 */
export function threadTask(
  module: URL,
  pool: ThreadPool,
): (ctx: TaskContext, ...args: unknown[]) => Promise<unknown> {
  const href = module.href;
  return async (ctx, ...args) => {
    const { port1, port2 } = new MessageChannel();
    let received = 0;
    let expected = Number.POSITIVE_INFINITY;
    let drained = () => {};
    port1.on(
      'message',
      (message: { type: string; message?: string; fields?: Record<string, unknown>; value?: number }) => {
        received++;
        try {
          if (message.type === 'log') ctx.log(message.message!, message.fields);
          else if (message.type === 'progress') ctx.progress(message.value!);
        } catch (error) {
          // Fields JSON cannot hold as the store needs them (a Date): keep the line, say what was dropped.
          ctx.log(message.message ?? 'log', {
            dropped: error instanceof Error ? error.message : String(error),
          });
        }
        if (received >= expected) drained();
      },
    );
    const task = {
      id: ctx.id,
      name: ctx.name,
      attempt: ctx.attempt,
      idempotencyKey: ctx.idempotencyKey,
      queue: ctx.queue,
      tags: { ...ctx.tags },
      headers: { ...ctx.headers },
    };
    try {
      const outcome = await pool.run({ module: href, args, port: port2, task }, [port2], ctx.signal);
      if (received < outcome.sent) {
        await new Promise<void>((resolve) => {
          expected = outcome.sent;
          drained = resolve;
          setTimeout(resolve, DRAIN_MS).unref();
        });
      }
      if ('error' in outcome) throw rebuild(outcome.error);
      if ('snooze' in outcome) return ctx.snooze(outcome.snooze);
      return outcome.value;
    } finally {
      port1.close();
    }
  };
}
