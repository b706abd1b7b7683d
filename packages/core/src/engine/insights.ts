import type { Aggregate, AggregateRequest, InstanceInfo } from '../backend/backend.js';
import { aggregateRecords, SERIES_WINDOWS, type SeriesWindow } from '../model/aggregate.js';
import { emptyCounts } from '../model/query-filter.js';
import type { StatusCounts } from '../model/task-query.js';
import type { Engine } from './engine.js';
import type { InstanceHealth } from './instance-health.js';

/** Finished tasks of one time bucket, per status. */
export type SeriesBucket = { start: number } & StatusCounts;

/** Duration percentiles of one task name, over the window's recent successes. */
export interface DurationStats {
  name: string;
  p50: number;
  p95: number;
  count: number;
}

/** `manager.series()`: the history charts, from the store. */
export interface Series {
  window: SeriesWindow;
  bucketMs: number;
  /** Every bucket of the window, oldest first, zeros included. */
  buckets: SeriesBucket[];
  durations: DurationStats[];
}

/** `manager.overview()`: the figures a dashboard or health check opens with. */
export interface Overview {
  counts: StatusCounts;
  /** Finished in the last hour, per status. */
  lastHour: StatusCounts;
  /** Tasks finished per minute over the last hour. */
  throughputPerMinute: number;
  /** Share of successes among tasks that succeeded or failed in the last hour; null when none did. */
  successRate: number | null;
  /** Age of the oldest pending task, ms; null when none is pending. */
  oldestPendingAgeMs: number | null;
  instances: Array<InstanceInfo & { health: InstanceHealth }>;
  backend: { name: string; healthy: boolean };
}

/** Most recent successful durations the percentiles are computed from. */
const DURATION_SAMPLE = 5000;

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

async function aggregate(engine: Engine, request: AggregateRequest): Promise<Aggregate> {
  const backend = engine.backend;
  if (!backend) return aggregateRecords(engine.cache.records(), request);
  return engine.call('aggregate', () => backend.aggregate(request));
}

export async function series(engine: Engine, window: SeriesWindow, now = Date.now()): Promise<Series> {
  const { spanMs, bucketMs } = SERIES_WINDOWS[window];
  const until = Math.floor(now / bucketMs) * bucketMs + bucketMs;
  const since = until - spanMs;
  const rows = await aggregate(engine, { since, until, bucketMs, durationSample: DURATION_SAMPLE });
  const buckets: SeriesBucket[] = [];
  for (let start = since; start < until; start += bucketMs) buckets.push({ start, ...emptyCounts() });
  for (const row of rows.finished) {
    const bucket = buckets[Math.floor((row.start - since) / bucketMs)];
    if (bucket) bucket[row.status] += row.count;
  }
  const byName = new Map<string, number[]>();
  for (const { name, duration } of rows.durations) {
    const list = byName.get(name);
    if (list) list.push(duration);
    else byName.set(name, [duration]);
  }
  const durations = [...byName]
    .map(([name, list]) => {
      list.sort((a, b) => a - b);
      return { name, p50: percentile(list, 0.5), p95: percentile(list, 0.95), count: list.length };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return { window, bucketMs, buckets, durations };
}

export async function overview(engine: Engine, now = Date.now()): Promise<Overview> {
  const hour = 3_600_000;
  const [stored, rows, instances] = await Promise.all([
    engine.counts({}),
    aggregate(engine, { since: now - hour, until: now + 1, bucketMs: hour, durationSample: 0 }),
    engine.instances(),
  ]);
  // Work this instance holds but has not written yet (snapshot mode) counts too.
  const counts = { ...stored };
  for (const state of engine.cache.values()) {
    const { status } = state.record;
    if (!state.persisted && (status === 'pending' || status === 'running')) counts[status]++;
  }
  const lastHour = emptyCounts();
  for (const row of rows.finished) lastHour[row.status] += row.count;
  const finished = Object.values(lastHour).reduce((sum, n) => sum + n, 0);
  const decided = lastHour.success + lastHour.failed;
  const stats = engine.stats();
  return {
    counts,
    lastHour,
    throughputPerMinute: Math.round((finished / 60) * 100) / 100,
    successRate: decided === 0 ? null : lastHour.success / decided,
    oldestPendingAgeMs: rows.oldestPendingAt === null ? null : Math.max(0, now - rows.oldestPendingAt),
    instances,
    backend: { name: engine.backend?.name ?? 'memory', healthy: stats.backend?.healthy ?? true },
  };
}
