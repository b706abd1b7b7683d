import type { TaskRecord, TaskStatus } from '@errand/core';

/** A task row as better-sqlite3 returns it. */
export interface TaskRow {
  id: string;
  name: string;
  queue: string;
  priority: number;
  tags: string;
  args: string;
  status: string;
  attempt: number;
  max_attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  duration: number | null;
  run_at: number;
  error: string | null;
  stack: string | null;
  logs: string;
  progress: number | null;
  result: string | null;
  idempotency_key: string | null;
  owner: string | null;
  requeue_on_interrupt: number;
}

/** Columns in the order `toParams` fills them. */
export const TASK_COLUMNS = [
  'id',
  'name',
  'queue',
  'priority',
  'tags',
  'args',
  'status',
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
  'owner',
  'requeue_on_interrupt',
] as const;

export function toParams(record: TaskRecord): unknown[] {
  return [
    record.id,
    record.name,
    record.queue,
    record.priority,
    JSON.stringify(record.tags),
    JSON.stringify(record.args),
    record.status,
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
    record.result === null || record.result === undefined ? null : JSON.stringify(record.result),
    record.idempotencyKey,
    record.owner,
    record.requeueOnInterrupt ? 1 : 0,
  ];
}

export function fromRow(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    name: row.name,
    queue: row.queue,
    priority: row.priority,
    tags: JSON.parse(row.tags),
    args: JSON.parse(row.args),
    status: row.status as TaskStatus,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    duration: row.duration,
    runAt: row.run_at,
    error: row.error,
    stack: row.stack,
    logs: JSON.parse(row.logs),
    progress: row.progress,
    result: row.result === null ? null : JSON.parse(row.result),
    idempotencyKey: row.idempotency_key,
    owner: row.owner,
    requeueOnInterrupt: row.requeue_on_interrupt === 1,
  };
}
