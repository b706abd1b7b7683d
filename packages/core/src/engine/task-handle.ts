import type { TaskQuery } from '../model/task-query.js';
import type { EnqueueOptions, TaskOptions } from '../options/index.js';
import type { ThreadTaskOptions } from '../threads/thread-task.js';
import { type BulkItem, submitMany } from './bulk.js';
import type { Engine } from './engine.js';
import type {
  RequireJsonParameters,
  TaskArgs,
  TaskFunction,
  TaskMap,
  TaskResult,
  TypedTaskRecord,
} from './typed-tasks.js';
import type { TaskHandle, TypedTaskPage } from './types.js';

/** A task declared with the manager: its function and options (see {@link task}). */
export interface DeclaredTask<F> {
  fn: F;
  options?: TaskOptions;
}

/** The `tasks` option of a manager: one declared task per name. */
export type DeclaredTasks<Tasks extends TaskMap> = { [N in keyof Tasks]: DeclaredTask<Tasks[N]> };

/** The typed handles of a manager's declared tasks, by name. */
export type TaskHandles<Tasks extends TaskMap> = {
  readonly [N in keyof Tasks]: TaskHandle<TaskArgs<Tasks[N]>, TaskResult<Tasks[N]>>;
};

/**
 * Declares a task for a manager's `tasks` option. Its parameters must be
 * JSON values, checked when it compiles:
 *
 * ```ts
 * const manager = new TaskManager({
 *   tasks: { sendEmail: task(async (ctx, to: string) => mailer.send(to), { retries: 3 }) },
 * });
 * await manager.enqueue('sendEmail', ['ada@example.com']);
 * ```
 */
export function task<A extends unknown[], R>(
  fn: TaskFunction<A, R> & RequireJsonParameters<A>,
  options?: TaskOptions,
): DeclaredTask<TaskFunction<A, R>>;
/**
 * Declares a task whose module runs in a worker thread (see
 * `manager.define(name, url, { thread: true })`); type its arguments and
 * result with `task<[string], Result>(new URL(...), { thread: true })`.
 */
export function task<A extends unknown[] = unknown[], R = unknown>(
  module: URL,
  options: ThreadTaskOptions,
): DeclaredTask<TaskFunction<A, R>>;
export function task<A extends unknown[], R>(
  fn: TaskFunction<A, R> | URL,
  options?: TaskOptions | ThreadTaskOptions,
): DeclaredTask<TaskFunction<A, R>> {
  // A module URL stays a URL here; the manager turns it into its thread-running function.
  const declared = fn as TaskFunction<A, R>;
  return options === undefined ? { fn: declared } : { fn: declared, options };
}

/** The handle of a defined task: its enqueues and reads, typed with its parameters and result. */
export function makeHandle<A extends unknown[], R>(engine: Engine, name: string): TaskHandle<A, R> {
  const submit = (args?: A, options?: EnqueueOptions) => engine.submit(name, args ?? [], options ?? {});
  return {
    name,
    submit,
    enqueue: async (args?: A, options?: EnqueueOptions) => (await submit(args, options)).id,
    enqueueMany: async (items: ReadonlyArray<BulkItem>) =>
      (await submitMany(engine, name, items)).map((s) => s.id),
    get: async (id: string) => {
      const record = await engine.get(id);
      return record?.name === name ? (record as unknown as TypedTaskRecord<A, R>) : undefined;
    },
    query: async (query: Omit<TaskQuery, 'name'> = {}) =>
      (await engine.query({ ...query, name })) as unknown as TypedTaskPage<A, R>,
    result: (id: string, options: { timeout?: number } = {}) => engine.result(id, options.timeout ?? null),
  } as TaskHandle<A, R>;
}
