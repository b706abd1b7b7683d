import type { TaskRecord, TaskStatus } from './task-record.js';

/**
 * The history filter: one shape for `manager.list()` (memory),
 * `manager.query()` and every backend's `query()`.
 *
 * Results are newest first by `(createdAt, id)`; `cursor` continues after
 * the last record of the previous page.
 */
export interface TaskQuery {
  /** One status or any of several. */
  status?: TaskStatus | readonly TaskStatus[];
  /** One task name or any of several. */
  name?: string | readonly string[];
  /** `createdAt >= since` (epoch ms or Date). */
  since?: number | Date;
  /** `createdAt < until` (epoch ms or Date). */
  until?: number | Date;
  idempotencyKey?: string;
  /** Case-insensitive substring of the error message. */
  errorContains?: string;
  /** One queue or any of several. */
  queue?: string | readonly string[];
  /** Tasks carrying every one of these tag pairs. */
  tags?: Record<string, string>;
  /** Page size; default 50, at most 1000. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of history. `nextCursor` is null on the last page. */
export interface TaskPage {
  records: TaskRecord[];
  nextCursor: string | null;
}

/** Per-status totals. Every status is present (0 when none). */
export type StatusCounts = Record<TaskStatus, number>;

/**
 * A query with its defaults applied and its values checked, as backends
 * receive it: arrays instead of single values, epoch ms instead of dates,
 * the cursor decoded.
 */
export interface NormalizedTaskQuery {
  statuses: TaskStatus[] | null;
  names: string[] | null;
  since: number | null;
  until: number | null;
  idempotencyKey: string | null;
  /** Lower-cased. */
  errorContains: string | null;
  queues: string[] | null;
  /** Every pair must match; null when not filtered. */
  tags: Record<string, string> | null;
  limit: number;
  /** Return records strictly older than this `(createdAt, id)` position. */
  after: { createdAt: number; id: string } | null;
}
