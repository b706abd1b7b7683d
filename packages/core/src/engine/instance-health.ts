import type { InstanceInfo } from '../backend/backend.js';

/** How an instance looks from its heartbeat. */
export type InstanceHealth = 'live' | 'quiet' | 'stopped';

/**
 * An instance is live while its heartbeat holds, quiet for one lease after
 * it lapsed (it may be stalled, or dying), stopped after that.
 */
export function instanceHealth(instance: InstanceInfo, now: number, leaseTtl: number): InstanceHealth {
  if (instance.expiresAt > now) return 'live';
  return now - instance.expiresAt < leaseTtl ? 'quiet' : 'stopped';
}
