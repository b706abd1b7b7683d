import type { ManagerState, StatusCounts, TaskManager } from '@errand/core';

/** What GET /health answers: two views that are each true, and say which is which. */
export interface HealthReport {
  /** The manager runs and its store answers (reads, writes and heartbeat); 503 otherwise. */
  healthy: boolean;
  state: ManagerState;
  /** This process, now, from memory: attempts running, tasks waiting for a slot or for their runAt. */
  live: { running: number; queued: number; delayed: number };
  /**
   * Per-status totals in the store (every instance's history), as last written. With
   * snapshots (the example's mode) a task is written when it finishes and unfinished
   * ones at shutdown, so a task running now is not `running` here: `live` counts it.
   * `unflushed`: changed records waiting for the next write.
   */
  stored: {
    /** Null when the store could not be read (then `healthy` is false and `backend.lastError` says why). */
    totals: StatusCounts | null;
    unflushed: number;
    lastWriteAt: string | null;
  };
  backend: { name: string; healthy: boolean; lastError: string | null; failingSince: string | null } | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function healthReport(manager: TaskManager): Promise<HealthReport> {
  const stats = manager.stats();
  const backend = stats.backend;
  let totals: StatusCounts | null = null;
  let readError: string | null = null;
  try {
    totals = await manager.counts();
  } catch (error) {
    readError = error instanceof Error ? error.message : String(error);
  }
  return {
    healthy: stats.state === 'running' && (backend?.healthy ?? true) && totals !== null,
    state: stats.state,
    live: { running: stats.running, queued: stats.queued, delayed: stats.delayed },
    stored: {
      totals,
      unflushed: backend?.dirty ?? 0,
      lastWriteAt: iso(backend?.lastFlushAt ?? null),
    },
    backend: backend && {
      name: backend.name,
      healthy: backend.healthy && readError === null,
      lastError: readError ?? backend.lastError,
      failingSince: iso(backend.failingSince),
    },
  };
}
