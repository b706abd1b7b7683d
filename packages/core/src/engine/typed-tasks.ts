import type { TaskRecord } from '../model/task-record.js';
import type { TaskContext } from './task-context.js';

/** A value that survives `JSON.parse(JSON.stringify(value))` unchanged. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue | undefined };

/**
 * Whether `T` is made of JSON values only. Interfaces count (they need no
 * index signature); `unknown` and `any` are left to the check at enqueue.
 * A Date, Map, class instance with methods, function, BigInt or Symbol is
 * not. Recursive types are followed a few levels deep, then trusted.
 */
export type IsJson<T, Depth extends unknown[] = []> = Depth['length'] extends 8
  ? true
  : unknown extends T
    ? true
    : T extends string | number | boolean | null | undefined
      ? true
      : T extends bigint | symbol | ((...args: never[]) => unknown)
        ? false
        : T extends readonly (infer Item)[]
          ? IsJson<Item, [...Depth, unknown]>
          : T extends object
            ? { [K in keyof T]-?: IsJson<T[K], [...Depth, unknown]> }[keyof T] extends true
              ? true
              : false
            : false;

/** Whether every parameter of a task is a JSON value. */
export type JsonParameters<A extends unknown[]> = { [I in keyof A]: IsJson<A[I]> }[number] extends true
  ? true
  : false;

/**
 * What `define()` demands of a task function beyond its shape: parameters a
 * store can hold. When one is not (a Date, a Map...), the call fails to
 * compile with this property's name as the message.
 */
export type RequireJsonParameters<A extends unknown[]> =
  JsonParameters<A> extends true
    ? unknown
    : {
        'Task parameters must be JSON values (string, number, boolean, null, arrays, plain objects): pass a Date as date.toISOString() or date.getTime()': never;
      };

/** A task function: `ctx` first, then the arguments given to `enqueue()`. */
export type TaskFunction<A extends unknown[], R> = (ctx: TaskContext, ...args: A) => R | Promise<R>;

/** Task functions by name: what a typed manager knows it can run. */
// biome-ignore lint/suspicious/noExplicitAny: any function shape is a task until define() checks it
export type TaskMap = Record<string, TaskFunction<any[], unknown>>;

/** The parameters of a task function, without `ctx`. */
export type TaskArgs<F> = F extends (ctx: TaskContext, ...args: infer A) => unknown ? A : unknown[];

/** What a task function resolves to. */
export type TaskResult<F> = F extends (...args: never[]) => infer R ? Awaited<R> : unknown;

/** A task record whose `args` and `result` carry the task's own types. */
export type TypedTaskRecord<A extends unknown[], R> = Omit<TaskRecord, 'args' | 'result'> & {
  args: A;
  /** The returned value once `success` (when JSON and small enough), else null. */
  result: Awaited<R> | null;
};

/** Task names `enqueue()` accepts: the declared ones, or any string for a manager without declared tasks. */
export type TaskName<Tasks extends TaskMap> = string extends keyof Tasks
  ? string
  : [keyof Tasks] extends [never]
    ? string
    : keyof Tasks & string;

/** The arguments `enqueue(name, args)` takes for `name`. */
export type ArgsFor<Tasks extends TaskMap, N extends string> = N extends keyof Tasks
  ? TaskArgs<Tasks[N]>
  : unknown[];
