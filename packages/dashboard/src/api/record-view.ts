import { endedAttempts, type TaskRecord, type TaskStatus } from '@errand/core';
import type { ResolvedOptions } from '../options.js';

/** The longest error text a list row or live event carries (the detail has it all). */
const SUMMARY_ERROR_CHARS = 300;

/** A task as the list and the event stream show it: no args, logs, stack or result. */
export interface TaskSummary {
  id: string;
  name: string;
  status: TaskStatus;
  queue: string;
  priority: number;
  tags: Record<string, string>;
  attempt: number;
  maxAttempts: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number | null;
  runAt: number;
  error: string | null;
  progress: number | null;
  idempotencyKey: string | null;
  owner: string | null;
}

/** One attempt of a task, as far as the record tells it. */
export interface AttemptView {
  number: number;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number | null;
  instance: string | null;
  error: string | null;
}

/**
 * A task as its detail shows it: the record (after `redact`), without `args`
 * and `result` unless `displayArgs`, plus its attempts.
 */
export type TaskDetail = Omit<TaskRecord, 'args' | 'result'> & {
  args?: unknown[];
  result?: unknown;
  attempts: AttemptView[];
};

function shown(record: TaskRecord, options: ResolvedOptions): TaskRecord {
  return options.redact ? options.redact(structuredClone(record)) : record;
}

export function toSummary(record: TaskRecord, options: ResolvedOptions): TaskSummary {
  const r = shown(record, options);
  const error = r.error === null ? null : r.error.slice(0, SUMMARY_ERROR_CHARS);
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    queue: r.queue,
    priority: r.priority,
    tags: r.tags,
    attempt: r.attempt,
    maxAttempts: r.maxAttempts,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    duration: r.duration,
    runAt: r.runAt,
    error,
    progress: r.progress,
    idempotencyKey: r.idempotencyKey,
    owner: r.owner,
  };
}

/**
 * Every attempt of the current run: the earlier ones from core's attempt
 * lines in the log, the latest from the record itself. An attempt with no
 * line (stored before core kept them, or cut by the log limit) is listed by
 * number with its times unknown.
 */
function attemptsOf(r: TaskRecord): AttemptView[] {
  const earlier = new Map(endedAttempts(r).map((attempt) => [attempt.number, attempt]));
  const attempts: AttemptView[] = [];
  for (let n = 1; n < r.attempt; n++) {
    const known = earlier.get(n);
    attempts.push({
      number: n,
      startedAt: known?.startedAt ?? null,
      finishedAt: known?.finishedAt ?? null,
      duration: known?.startedAt != null ? known.finishedAt - known.startedAt : null,
      instance: known?.instance ?? null,
      error: known?.error ?? null,
    });
  }
  if (r.attempt > 0) {
    attempts.push({
      number: r.attempt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      duration: r.duration,
      instance: r.owner,
      error: r.error,
    });
  }
  return attempts;
}

export function toDetail(record: TaskRecord, options: ResolvedOptions): TaskDetail {
  const r = shown(record, options);
  const { args, result, ...rest } = r;
  const detail: TaskDetail = { ...rest, attempts: attemptsOf(r) };
  if (options.displayArgs) {
    detail.args = args;
    detail.result = result;
  }
  return detail;
}
