import {
  compareNewestFirst,
  decodeCursor,
  encodeCursor,
  TASK_STATUSES,
  type TaskManager,
  type TaskPage,
  type TaskQuery,
  type TaskRecord,
  type TaskStatus,
} from '@errand/core';
import { badRequest } from '../http/responses.js';

/** The API's page size bounds: 50 by default, at most 200 per request. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;
const MAX_TEXT = 200;

/** The list filter of `GET /api/tasks` (and of a bulk action's `filter`). */
export interface TaskFilter {
  status?: TaskStatus[];
  name?: string[];
  queue?: string[];
  /** Tag pairs every task must carry (`tag=job:cleanup,trigger:missed`). */
  tags?: Record<string, string>;
  /** Text in the id (exact), the name, the error or the idempotency key (exact). */
  q?: string;
  since?: number;
  until?: number;
  cursor?: string;
  limit: number;
}

type Source = { get(key: string): string | null | undefined };

function list(value: string | null | undefined): string[] | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function time(value: string | null | undefined, field: string): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const millis = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(millis)) throw badRequest(`${field} must be epoch milliseconds or an ISO date`);
  return millis;
}

/** Reads and checks a filter from URL parameters (or a bulk body's `filter`); a bad value is a 400. */
export function parseFilter(source: Source): TaskFilter {
  const status = list(source.get('status'));
  for (const s of status ?? []) {
    if (!TASK_STATUSES.includes(s as TaskStatus)) {
      throw badRequest(`status: unknown status "${s}" (one of ${TASK_STATUSES.join(', ')})`);
    }
  }
  const rawLimit = source.get('limit');
  const limit = rawLimit ? Number(rawLimit) : DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw badRequest(`limit must be an integer from 1 to ${MAX_PAGE}`);
  }
  const q = source.get('q')?.trim() || undefined;
  if (q !== undefined && q.length > MAX_TEXT) throw badRequest(`q is longer than ${MAX_TEXT} characters`);
  const cursor = source.get('cursor') || undefined;
  if (cursor !== undefined) {
    try {
      decodeCursor(cursor);
    } catch {
      throw badRequest('cursor is not a nextCursor this API returned');
    }
  }
  const tags = tagPairs(source.get('tag'));
  const since = time(source.get('since'), 'since');
  const until = time(source.get('until'), 'until');
  if (since !== undefined && until !== undefined && since >= until)
    throw badRequest('since must be before until');
  return {
    status: status as TaskStatus[] | undefined,
    name: list(source.get('name')),
    queue: list(source.get('queue')),
    tags,
    q,
    since,
    until,
    cursor,
    limit,
  };
}

/** `job:cleanup,trigger:missed` → `{ job: 'cleanup', trigger: 'missed' }`. */
function tagPairs(value: string | null | undefined): Record<string, string> | undefined {
  const items = list(value);
  if (!items) return undefined;
  const tags: Record<string, string> = {};
  for (const item of items) {
    const colon = item.indexOf(':');
    if (colon <= 0) throw badRequest(`tag must be key:value pairs, comma-separated (got "${item}")`);
    tags[item.slice(0, colon)] = item.slice(colon + 1);
  }
  return tags;
}

function baseQuery(filter: TaskFilter): TaskQuery {
  return {
    status: filter.status,
    name: filter.name,
    queue: filter.queue,
    tags: filter.tags,
    since: filter.since,
    until: filter.until,
    limit: filter.limit,
  };
}

/**
 * One page of history for a filter, newest first.
 *
 * The store answers for the whole fleet, but this instance's newest changes
 * may not be flushed to it yet (a task that just started): each query also
 * reads this instance's records in memory, on the same cursor, and the
 * memory copy wins. With `q`, core offers no text search over several
 * fields, so the page merges the queries that together cover it (error
 * text, names containing q among the known names, the idempotency key, the
 * exact id) on the one position cursor they all share, so paging stays
 * consistent.
 */
export async function findTasks(
  manager: TaskManager,
  filter: TaskFilter,
  knownNames: Iterable<string>,
): Promise<TaskPage> {
  const base = baseQuery(filter);
  const queries: TaskQuery[] = [];
  if (filter.q === undefined) queries.push(base);
  else {
    const needle = filter.q.toLowerCase();
    const names = [...new Set(knownNames)].filter(
      (name) => name.toLowerCase().includes(needle) && (!filter.name || filter.name.includes(name)),
    );
    queries.push({ ...base, errorContains: filter.q }, { ...base, idempotencyKey: filter.q });
    if (names.length > 0) queries.push({ ...base, name: names });
  }
  // Each query asks for one more than a page: that tells whether a next page exists.
  const ask = queries.map((query) => ({ ...query, limit: filter.limit + 1, cursor: filter.cursor }));
  const stored = await Promise.all(ask.map((query) => manager.query(query)));
  const local = ask.map((query) => manager.list(query));
  const byId = new Map<string, TaskRecord>();
  for (const page of stored) for (const record of page.records) byId.set(record.id, record);
  for (const page of local) for (const record of page.records) byId.set(record.id, record);
  if (filter.q !== undefined && !filter.cursor) {
    const exact = await manager.get(filter.q);
    if (exact && matchesBase(exact, filter)) byId.set(exact.id, exact);
  }
  const merged = [...byId.values()].sort(compareNewestFirst);
  const more = merged.length > filter.limit || [...stored, ...local].some((page) => page.nextCursor !== null);
  const records = merged.slice(0, filter.limit);
  const last = records[records.length - 1];
  return { records, nextCursor: more && last ? encodeCursor(last) : null };
}

function matchesBase(record: TaskRecord, filter: TaskFilter): boolean {
  if (filter.status && !filter.status.includes(record.status)) return false;
  if (filter.name && !filter.name.includes(record.name)) return false;
  if (filter.queue && !filter.queue.includes(record.queue)) return false;
  if (filter.tags && Object.entries(filter.tags).some(([key, value]) => record.tags[key] !== value))
    return false;
  if (filter.since !== undefined && record.createdAt < filter.since) return false;
  if (filter.until !== undefined && record.createdAt >= filter.until) return false;
  return true;
}
