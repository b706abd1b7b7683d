import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { checkTags } from '../options/enqueue-options.js';
import type { NormalizedTaskQuery, StatusCounts, TaskPage, TaskQuery } from './task-query.js';
import { TASK_STATUSES, type TaskRecord, type TaskStatus } from './task-record.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

function toMillis(value: number | Date | undefined, field: string): number | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new InvalidOptionError(`query.${field} must be a Date or epoch milliseconds`);
  }
  return ms;
}

function toList<T extends string>(value: T | readonly T[] | undefined, field: string): T[] | null {
  if (value === undefined) return null;
  const list = (Array.isArray(value) ? value.slice() : [value]) as T[];
  for (const item of list) {
    if (typeof item !== 'string' || item === '') {
      throw new InvalidOptionError(`query.${field} must be a non-empty string or an array of them`);
    }
  }
  return list;
}

/** Cursor = base64url of `createdAt:id` of the last record of a page. */
export function encodeCursor(record: Pick<TaskRecord, 'createdAt' | 'id'>): string {
  return Buffer.from(`${record.createdAt}:${record.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const colon = text.indexOf(':');
  const createdAt = Number(text.slice(0, colon));
  const id = text.slice(colon + 1);
  if (colon <= 0 || !Number.isSafeInteger(createdAt) || id === '') {
    throw new InvalidOptionError(`query.cursor is not a cursor returned by query(): ${cursor}`);
  }
  return { createdAt, id };
}

/**
 * Checks a user's filter and turns it into the form backends receive.
 * `limit` is one more than the page size so that core can tell whether
 * another page exists without an extra round trip.
 */
export function normalizeQuery(query: TaskQuery = {}): NormalizedTaskQuery {
  const statuses = toList(query.status, 'status');
  if (statuses) {
    for (const status of statuses) {
      if (!TASK_STATUSES.includes(status))
        throw new InvalidOptionError(`query.status: unknown status "${status}"`);
    }
  }
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidOptionError(`query.limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  if (query.idempotencyKey !== undefined && typeof query.idempotencyKey !== 'string') {
    throw new InvalidOptionError('query.idempotencyKey must be a string');
  }
  if (query.errorContains !== undefined && typeof query.errorContains !== 'string') {
    throw new InvalidOptionError('query.errorContains must be a string');
  }
  return {
    statuses,
    names: toList(query.name, 'name'),
    since: toMillis(query.since, 'since'),
    until: toMillis(query.until, 'until'),
    idempotencyKey: query.idempotencyKey ?? null,
    errorContains: query.errorContains ? query.errorContains.toLowerCase() : null,
    queues: toList(query.queue, 'queue'),
    tags: query.tags === undefined || Object.keys(query.tags).length === 0 ? null : checkTags(query.tags),
    limit: limit + 1,
    after: query.cursor ? decodeCursor(query.cursor) : null,
  };
}

/** Turns `limit + 1` rows from a backend into a page and its cursor. */
export function toPage(rows: TaskRecord[], query: NormalizedTaskQuery): TaskPage {
  const pageSize = query.limit - 1;
  if (rows.length <= pageSize) return { records: rows, nextCursor: null };
  const records = rows.slice(0, pageSize);
  return { records, nextCursor: encodeCursor(records[pageSize - 1]!) };
}

/** Newest first: `createdAt` desc, then `id` desc (ids are time-ordered). */
export function compareNewestFirst(a: TaskRecord, b: TaskRecord): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Whether a record passes every field of the filter except paging. */
export function matchesQuery(record: TaskRecord, query: NormalizedTaskQuery): boolean {
  if (query.statuses && !query.statuses.includes(record.status)) return false;
  if (query.names && !query.names.includes(record.name)) return false;
  if (query.since !== null && record.createdAt < query.since) return false;
  if (query.until !== null && record.createdAt >= query.until) return false;
  if (query.idempotencyKey !== null && record.idempotencyKey !== query.idempotencyKey) return false;
  if (query.errorContains !== null && !record.error?.toLowerCase().includes(query.errorContains))
    return false;
  if (query.queues && !query.queues.includes(record.queue)) return false;
  if (query.tags) {
    for (const key in query.tags) if (record.tags[key] !== query.tags[key]) return false;
  }
  return true;
}

/** Whether a record lies strictly after the cursor position (older). */
export function isAfterCursor(record: TaskRecord, after: NormalizedTaskQuery['after']): boolean {
  if (!after) return true;
  return record.createdAt < after.createdAt || (record.createdAt === after.createdAt && record.id < after.id);
}

/** Filters, sorts and pages an in-memory collection (the memory store and backend share it). */
export function queryRecords(records: Iterable<TaskRecord>, query: NormalizedTaskQuery): TaskRecord[] {
  const matched: TaskRecord[] = [];
  for (const record of records) {
    if (matchesQuery(record, query) && isAfterCursor(record, query.after)) matched.push(record);
  }
  matched.sort(compareNewestFirst);
  return matched.length > query.limit ? matched.slice(0, query.limit) : matched;
}

export function emptyCounts(): StatusCounts {
  return {
    pending: 0,
    running: 0,
    success: 0,
    failed: 0,
    interrupted: 0,
    cancelled: 0,
    rejected: 0,
    expired: 0,
  };
}

export function countRecords(records: Iterable<TaskRecord>, query: NormalizedTaskQuery): StatusCounts {
  const counts = emptyCounts();
  for (const record of records) {
    if (matchesQuery(record, query)) counts[record.status as TaskStatus]++;
  }
  return counts;
}
