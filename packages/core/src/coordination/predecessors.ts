import { hostname } from 'node:os';
import type { InstanceInfo } from '../backend/backend.js';

/**
 * Identifies this process among instances of the same host, whatever copy
 * of the package reads it: a restarted container reuses pid 1, so the pid
 * alone cannot tell this process from its dead predecessor.
 */
export const PROCESS_IDENTITY = Object.freeze({
  host: hostname(),
  pid: process.pid,
  // The process's own start time: identical for every module copy in one process.
  boot: Math.round(performance.timeOrigin),
});

/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Instances in `instances` that are provably dead although their heartbeat
 * may not have expired: on this host, their process is gone (or its pid is
 * this process's, under another boot). With `sameIdGiven`, this instance's
 * own id too: a restart with the same configured `instanceId` is its own
 * predecessor. Instances that may be alive are never listed.
 */
export function deadPredecessors(
  instances: readonly InstanceInfo[],
  self: { id: string; sameIdGiven: boolean },
): string[] {
  const dead: string[] = [];
  for (const instance of instances) {
    if (instance.id === self.id) continue;
    const { host, pid, boot } = instance.meta;
    if (host !== PROCESS_IDENTITY.host || typeof pid !== 'number') continue;
    const gone = pid === PROCESS_IDENTITY.pid ? boot !== PROCESS_IDENTITY.boot : !processAlive(pid);
    if (gone) dead.push(instance.id);
  }
  if (self.sameIdGiven) dead.push(self.id);
  return dead;
}
