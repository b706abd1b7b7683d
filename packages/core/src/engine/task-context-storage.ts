import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskContext } from './task-context.js';

/** The running attempt's context, for code that was not handed `ctx` (see {@link currentTask}). */
export const taskContextStorage = new AsyncLocalStorage<TaskContext>();

/**
 * The context of the task whose attempt is running the calling code, or
 * undefined outside any task. Lets a library tag its own logs with the task
 * without `ctx` being passed down to it:
 *
 * ```ts
 * function audit(message: string) {
 *   const task = currentTask();
 *   logger.info({ taskId: task?.id, task: task?.name }, message);
 * }
 * ```
 *
 * It follows the task's asynchronous calls (promises, timers, callbacks
 * started inside the attempt). Inside a `thread: true` task, use the `ctx`
 * the thread receives.
 */
export function currentTask(): TaskContext | undefined {
  return taskContextStorage.getStore();
}
