import type { InstanceInfo, Logger, SnapshotBackend } from '../backend/backend.js';
import type { QueueView } from '../engine/queues.js';
import type { StatusCounts, TaskPage, TaskQuery } from '../model/task-query.js';
import type { MetricFamily, Sample } from './exposition.js';

/** The manager calls the gauges read (a `TaskManager` has them all). */
export interface GaugeSource {
  readonly backend: SnapshotBackend | null;
  readonly logger: Logger;
  queues(): QueueView[];
  counts(query: Omit<TaskQuery, 'limit' | 'cursor'>): Promise<StatusCounts>;
  query(query: TaskQuery): Promise<TaskPage>;
  instances(): Promise<InstanceInfo[]>;
}

/** Per queue: this instance's pending tasks not in the store yet (see `UNSAVED_PENDING` in core). */
type UnsavedPending = Map<string, { count: number; oldest: number }>;

function unsavedOf(source: GaugeSource): UnsavedPending {
  const read = (source as unknown as Record<symbol, (() => UnsavedPending) | undefined>)[
    Symbol.for('errand.unsavedPending')
  ];
  return read ? read() : new Map();
}

/** Precision of the oldest pending age when it has to be searched for (deep backlogs). */
const SEARCH_PRECISION_MS = 1000;

/**
 * The oldest pending `createdAt` of one queue in the store. The store
 * answers newest first, so: one page when the backlog fits in it (exact),
 * otherwise a binary search on `counts({ until })` between the oldest
 * pending task of every queue (one aggregate) and the oldest of that
 * page: about log2(span / 1 s) counts, never a walk through the backlog.
 */
async function oldestInStore(source: GaugeSource, backend: SnapshotBackend, queue: string, now: number) {
  const page = await source.query({ status: 'pending', queue, limit: 1000 });
  if (page.records.length === 0) return null;
  let hi = Math.min(...page.records.map((record) => record.createdAt));
  if (page.nextCursor === null) return hi;
  const aggregate = await backend.aggregate({
    since: now,
    until: now + 1,
    bucketMs: 60_000,
    durationSample: 0,
  });
  let lo = aggregate.oldestPendingAt ?? hi;
  const olderThan = async (t: number) =>
    (await source.counts({ status: 'pending', queue, until: t })).pending > 0;
  if (await olderThan(lo + 1)) return lo;
  // Nothing pending in the queue was created before lo; something was before hi.
  while (hi - lo > SEARCH_PRECISION_MS) {
    const mid = Math.floor((lo + hi) / 2);
    if (await olderThan(mid)) hi = mid;
    else lo = mid;
  }
  return lo;
}

/**
 * The gauges read at scrape time: pending tasks and the oldest one's age
 * per queue (those in the store, plus this instance's that the store does
 * not hold yet), instances by state, and each scheduled job's next run.
 * The store's part is the fleet's (take `max` across instances).
 */
export async function storeGauges(
  source: GaugeSource,
  queues: Iterable<string>,
  now = Date.now(),
): Promise<MetricFamily[]> {
  const backend = source.backend;
  const unsaved = unsavedOf(source);
  const names = new Set([...queues, ...source.queues().map((view) => view.name), ...unsaved.keys()]);
  const pending: Sample[] = [];
  const oldest: Sample[] = [];
  for (const queue of [...names].sort()) {
    const local = unsaved.get(queue);
    let count = local?.count ?? 0;
    let oldestAt = local?.oldest ?? null;
    if (backend) {
      const stored = (await source.counts({ status: 'pending', queue })).pending;
      if (stored > 0) {
        const storedOldest = await oldestInStore(source, backend, queue, now);
        if (storedOldest !== null)
          oldestAt = oldestAt === null ? storedOldest : Math.min(oldestAt, storedOldest);
      }
      count += stored;
    }
    pending.push({ labels: { queue }, value: count });
    oldest.push({ labels: { queue }, value: oldestAt === null ? 0 : Math.max(0, now - oldestAt) / 1000 });
  }
  const instances = await source.instances();
  const live = instances.filter((instance) => instance.expiresAt > now).length;
  const jobs = backend?.schedules ? await backend.schedules.list() : [];
  return [
    {
      name: 'errand_queue_pending',
      help: 'Pending tasks per queue: in the store, plus those of this instance not stored yet.',
      type: 'gauge',
      samples: pending,
    },
    {
      name: 'errand_queue_oldest_pending_age_seconds',
      help: 'Age of the oldest pending task per queue (0 when none), in seconds.',
      type: 'gauge',
      samples: oldest,
    },
    {
      name: 'errand_instances',
      help: 'Instances sharing the store, by state (live: heartbeat valid; expired: not renewed in time).',
      type: 'gauge',
      samples: [
        { labels: { state: 'live' }, value: live },
        { labels: { state: 'expired' }, value: instances.length - live },
      ],
    },
    {
      name: 'errand_schedule_next_run_timestamp_seconds',
      help: 'Next due tick of each scheduled job, as a Unix timestamp in seconds.',
      type: 'gauge',
      samples: jobs
        .filter((job) => job.nextRunAt !== null && !job.orphaned)
        .map((job) => ({ labels: { job: job.id }, value: job.nextRunAt! / 1000 })),
    },
  ];
}
