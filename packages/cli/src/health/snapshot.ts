import {
  emptyCounts,
  type InstanceInfo,
  instanceHealth,
  normalizeQuery,
  type StatusCounts,
} from '@errand/core';
import { type JobView, viewJobs } from '../jobs/view.js';
import type { Deadline } from '../store/deadline.js';
import type { Store } from '../store/open.js';

const HOUR_MS = 3_600_000;

/** Core's default `leaseTtl`: how long a heartbeat holds unless the instance says otherwise. */
export const DEFAULT_LEASE_TTL_MS = 15_000;

/** One instance as its heartbeat row shows it. */
export interface InstanceView {
  id: string;
  host: string | null;
  pid: number | null;
  state: 'live' | 'quiet' | 'stopped';
  /** What its scheduler does: fires due ticks, only declares, or none runs there. */
  scheduler: 'firing' | 'passive' | null;
  startedAt: number;
  expiresAt: number;
  /**
   * Started less than one lease ago: its first heartbeat may predate what its
   * components publish later (the scheduler's role comes with the next one).
   */
  settling: boolean;
}

/** Everything the verdict is made from, read in one go on the store's clock. */
export interface HealthSnapshot {
  backend: string;
  /** Time from the start of open() to the store's first answer. */
  latencyMs: number;
  now: number;
  instances: InstanceView[];
  counts: StatusCounts;
  /** Finished in the last hour, per status. */
  lastHour: StatusCounts;
  oldestPendingAt: number | null;
  /** Stored jobs, soonest first (empty when the store holds no schedules). */
  jobs: JobView[];
}

export function viewInstance(instance: InstanceInfo, now: number, leaseTtlMs: number): InstanceView {
  const { host, pid, scheduler } = instance.meta;
  const ttl = leaseTtl(instance, leaseTtlMs);
  return {
    id: instance.id,
    host: typeof host === 'string' ? host : null,
    pid: typeof pid === 'number' ? pid : null,
    state: instanceHealth(instance, now, ttl),
    scheduler: scheduler === 'firing' || scheduler === 'passive' ? scheduler : null,
    startedAt: instance.startedAt,
    expiresAt: instance.expiresAt,
    settling: now - instance.startedAt < ttl,
  };
}

/** An instance that publishes its own leaseTtl is judged by it; others by `--lease-ttl`. */
function leaseTtl(instance: InstanceInfo, fallback: number): number {
  const own = instance.meta.leaseTtl;
  return typeof own === 'number' && own > 0 ? own : fallback;
}

/** Asks the store for the time: the cheapest call that proves it answers (the liveness probe). */
export async function probeStore(store: Store, deadline: Deadline): Promise<number> {
  return deadline.race('now', store.backend.now());
}

/** Reads what the readiness verdict needs: instances, totals, the last hour, and the jobs. */
export async function collect(
  store: Store,
  deadline: Deadline,
  probe: { now: number; latencyMs: number; leaseTtlMs: number },
): Promise<HealthSnapshot> {
  const { backend } = store;
  const { now, latencyMs, leaseTtlMs } = probe;
  const [instances, counts, aggregate, jobs] = await deadline.race(
    'read',
    Promise.all([
      backend.instances(),
      backend.counts(normalizeQuery({})),
      backend.aggregate({ since: now - HOUR_MS, until: now + 1, bucketMs: HOUR_MS, durationSample: 0 }),
      backend.schedules ? backend.schedules.list() : Promise.resolve(null),
    ]),
  );
  const lastHour = emptyCounts();
  for (const row of aggregate.finished) lastHour[row.status] += row.count;
  return {
    backend: backend.name,
    latencyMs,
    now,
    instances: instances.map((instance) => viewInstance(instance, now, leaseTtlMs)),
    // A store that predates a status core added still gets every status, at 0.
    counts: { ...emptyCounts(), ...counts },
    lastHour,
    oldestPendingAt: aggregate.oldestPendingAt,
    jobs: await viewJobs(jobs ?? [], now),
  };
}
