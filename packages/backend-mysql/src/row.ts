import type { TaskLogLine, TaskRecord, TaskStatus } from '@errand/core';

/**
 * Column order of every insert. `owner` and then `status` come last on
 * purpose: MySQL evaluates `ON DUPLICATE KEY UPDATE` assignments left to
 * right, each seeing the columns already assigned, and the fencing test reads
 * `owner` and `status` (see `sql/write.ts`).
 */
export const TASK_COLUMNS = [
  'id',
  'name',
  'queue',
  'priority',
  'tags',
  'args',
  'attempt',
  'max_attempts',
  'created_at',
  'started_at',
  'finished_at',
  'duration',
  'run_at',
  'error',
  'stack',
  'logs',
  'progress',
  'result',
  'idempotency_key',
  'requeue_on_interrupt',
  'owner',
  'status',
] as const;

/** `SELECT` list that {@link rowToRecord} reads. */
export const TASK_SELECT = TASK_COLUMNS.join(', ');

/** One record as the values of {@link TASK_COLUMNS}, in that order. */
export function recordToValues(record: TaskRecord): unknown[] {
  return [
    record.id,
    record.name,
    record.queue,
    record.priority,
    JSON.stringify(record.tags),
    JSON.stringify(record.args),
    record.attempt,
    record.maxAttempts,
    record.createdAt,
    record.startedAt,
    record.finishedAt,
    record.duration,
    record.runAt,
    record.error,
    record.stack,
    JSON.stringify(record.logs),
    record.progress,
    // `undefined` has no JSON text; store it as the null it reads back as.
    JSON.stringify(record.result ?? null),
    record.idempotencyKey,
    record.requeueOnInterrupt ? 1 : 0,
    record.owner,
    record.status,
  ];
}

export type TaskRow = Record<string, unknown>;

/**
 * VARBINARY columns arrive as Buffers. BIGINTs arrive as numbers, or as
 * strings from a pool the application configured with `bigNumberStrings`.
 */
export function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

export function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}

export function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function json<T>(value: unknown): T {
  return JSON.parse(text(value)) as T;
}

export function rowToRecord(row: TaskRow): TaskRecord {
  return {
    id: text(row.id),
    name: text(row.name),
    queue: text(row.queue),
    priority: Number(row.priority),
    tags: json<string[]>(row.tags),
    args: json<unknown[]>(row.args),
    status: text(row.status) as TaskStatus,
    attempt: Number(row.attempt),
    maxAttempts: Number(row.max_attempts),
    createdAt: Number(row.created_at),
    startedAt: nullableNumber(row.started_at),
    finishedAt: nullableNumber(row.finished_at),
    duration: nullableNumber(row.duration),
    runAt: Number(row.run_at),
    error: nullableText(row.error),
    stack: nullableText(row.stack),
    logs: json<TaskLogLine[]>(row.logs),
    progress: nullableNumber(row.progress),
    result: json<unknown>(row.result),
    idempotencyKey: nullableText(row.idempotency_key),
    owner: nullableText(row.owner),
    requeueOnInterrupt: Number(row.requeue_on_interrupt) === 1,
  };
}
