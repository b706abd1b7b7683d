import type { SnapshotBackend } from '../backend/backend.js';
import type { TaskState } from '../engine/task-state.js';

/** Reads at once, so that re-reading a large backlog after an outage takes few round trips. */
const PARALLEL_READS = 16;

/**
 * After a lapsed lease: which of these waiting tasks another instance took
 * meanwhile (the store names another owner, or has moved the task on).
 * Rejects when the store cannot be read, so nothing is assumed.
 */
export async function readOwnership(
  backend: SnapshotBackend,
  states: readonly TaskState[],
  instanceId: string,
): Promise<TaskState[]> {
  const handedOver: TaskState[] = [];
  for (let i = 0; i < states.length; i += PARALLEL_READS) {
    const slice = states.slice(i, i + PARALLEL_READS);
    const stored = await Promise.all(slice.map((state) => backend.get(state.record.id)));
    slice.forEach((state, j) => {
      const row = stored[j];
      // Missing: never stored, so nobody else can have it. Ours and unfinished: still ours.
      if (!row) return;
      const ours = row.owner === instanceId && (row.status === 'pending' || row.status === 'running');
      if (!ours) handedOver.push(state);
    });
  }
  return handedOver;
}
