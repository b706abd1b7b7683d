import type { ScheduleStore } from '@errand/core';
import { claimTickArgs, conflictsOf, jobArgs, jobFromHash, pairsOf } from './row.js';

type Run = (op: string, args: readonly string[] | (() => string[])) => Promise<unknown>;

/**
 * `RedisBackend.schedules`: every method is one script call, one round trip, atomic; `claimTick`
 * stores the tick's tasks with the function of `write()` in the same call.
 */
export function redisScheduleStore(run: Run): ScheduleStore {
  const jobs = async (op: string, args: string[]) => pairsOf(await run(op, args), jobFromHash);
  return {
    list: () => jobs('listJobs', ['jobs', '+inf', '-1']),
    get: async (id) => jobFromHash(id, (await run('getJob', [id])) as string[]),
    register: async (job) => jobFromHash(job.id, (await run('registerJob', [jobArgs(job)])) as string[])!,
    markOrphans: async (ids) => void (await run('markOrphans', [...new Set(ids)])),
    remove: async (id) => Number(await run('removeJob', [id])) === 1,
    setPaused: async (id, paused) => Number(await run('updateJob', [id, '', 'paused', `${+paused}`])) === 1,
    async claimTick(claim) {
      const [won, ...conflicts] = (await run('claimTick', () => claimTickArgs(claim))) as string[];
      return { won: Number(won) === 1, conflicts: conflictsOf(conflicts) };
    },
    recordOutcome: async (id, task, outcome) =>
      void (await run('updateJob', [id, task, 'lastOutcome', outcome])),
    due(now, limit) {
      const count = limit >= 1 ? (Number.isFinite(limit) ? Math.floor(limit) : -1) : 0;
      return jobs('listJobs', ['jobs:due', String(now), String(count)]);
    },
  };
}
