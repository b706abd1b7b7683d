import type { StatusCounts } from '@errand/core';
import { jobJson } from '../jobs/view.js';
import type { HealthSnapshot } from './snapshot.js';
import type { Verdict } from './verdict.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * `errand health --json`, schema version 1 (README, `HEALTH_SCHEMA`). The
 * same object whatever happened: an unreachable store gives
 * `status: "unhealthy"`, `counts: null` and empty lists.
 */
export function healthJson(
  verdict: Verdict,
  snapshot: HealthSnapshot | null,
  context: {
    store: string;
    backend: string | null;
    latencyMs: number | null;
    probe: 'liveness' | 'readiness';
    checkedAt: number;
  },
) {
  const full = context.probe === 'readiness' ? snapshot : null;
  const lastHour: StatusCounts | null = full?.lastHour ?? null;
  const decided = lastHour ? lastHour.success + lastHour.failed : 0;
  return {
    schemaVersion: 1 as const,
    status: verdict.status,
    summary: verdict.summary,
    probe: context.probe,
    checkedAt: new Date(context.checkedAt).toISOString(),
    store: {
      url: context.store,
      backend: context.backend,
      latencyMs: context.latencyMs === null ? null : Math.round(context.latencyMs),
    },
    checks: verdict.checks.map(({ name, status, message }) => ({ name, status, message })),
    counts: full ? { ...full.counts } : null,
    lastHour: lastHour
      ? {
          success: lastHour.success,
          failed: lastHour.failed,
          finished: Object.values(lastHour).reduce((sum, n) => sum + n, 0),
          failureRate: decided === 0 ? null : lastHour.failed / decided,
        }
      : null,
    oldestPendingAt: iso(full?.oldestPendingAt ?? null),
    instances: (full?.instances ?? []).map((instance) => ({
      id: instance.id,
      host: instance.host,
      pid: instance.pid,
      state: instance.state,
      scheduler: instance.scheduler,
      startedAt: iso(instance.startedAt),
      expiresAt: iso(instance.expiresAt),
    })),
    jobs: verdict.jobs.map(jobJson),
  };
}

export type HealthJson = ReturnType<typeof healthJson>;
