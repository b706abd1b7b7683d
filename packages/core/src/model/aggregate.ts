import type { Aggregate, AggregateRequest } from '../backend/backend.js';
import { isClaimable } from './claim-rules.js';
import type { TaskStatus } from './task-record.js';

/** `aggregate()` over records in memory: the reference the stores' queries must match. */
export function aggregateRecords(
  records: Iterable<{
    name: string;
    status: TaskStatus;
    requeueOnInterrupt: boolean;
    createdAt: number;
    finishedAt: number | null;
    duration: number | null;
  }>,
  request: AggregateRequest,
): Aggregate {
  const counts = new Map<string, { start: number; status: TaskStatus; count: number }>();
  const durations: Array<{ name: string; duration: number; finishedAt: number }> = [];
  let oldestPendingAt: number | null = null;
  for (const record of records) {
    if (record.status === 'pending' && (oldestPendingAt === null || record.createdAt < oldestPendingAt)) {
      oldestPendingAt = record.createdAt;
    }
    const at = record.finishedAt;
    if (at === null || at < request.since || at >= request.until) continue;
    // Not finished yet: an interrupted task waiting for takeover is claimable like these.
    if (isClaimable(record)) continue;
    const start = Math.floor(at / request.bucketMs) * request.bucketMs;
    const key = `${start}:${record.status}`;
    const row = counts.get(key);
    if (row) row.count++;
    else counts.set(key, { start, status: record.status, count: 1 });
    if (record.status === 'success' && record.duration !== null) {
      durations.push({ name: record.name, duration: record.duration, finishedAt: at });
    }
  }
  durations.sort((a, b) => b.finishedAt - a.finishedAt);
  return {
    finished: [...counts.values()].sort((a, b) => a.start - b.start || (a.status < b.status ? -1 : 1)),
    durations: durations.slice(0, request.durationSample).map(({ name, duration }) => ({ name, duration })),
    oldestPendingAt,
  };
}

/** Windows the history charts offer, with their bucket widths. */
export const SERIES_WINDOWS = {
  '1h': { spanMs: 3_600_000, bucketMs: 60_000 },
  '24h': { spanMs: 86_400_000, bucketMs: 3_600_000 },
  '7d': { spanMs: 7 * 86_400_000, bucketMs: 6 * 3_600_000 },
} as const;

export type SeriesWindow = keyof typeof SERIES_WINDOWS;
