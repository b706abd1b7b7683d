import type { JobRunOutcome, ScheduleStore, StoredJob, TickClaim } from '@errand/core';
import { claimTickArgs, jobArgs, jobFromHash } from './row.js';
import type { ScriptName } from './scripts/index.js';

/** Runs one script of the backend (one round trip), failing with a `BackendError` named after it. */
export type ScriptRunner = (name: ScriptName, args: readonly string[]) => Promise<unknown>;

/**
 * The Redis `ScheduleStore` of `@errand/scheduler`, exposed as
 * `RedisBackend.schedules`. Every method is one Lua script (one round
 * trip, atomic); `claimTick` compares the stored `nextRunAt`, advances the
 * job and stores the tick's tasks with the write script's own Lua, all in
 * one script call. Its calls fail with a `BackendError` until the backend
 * is open.
 */
export class RedisScheduleStore implements ScheduleStore {
  readonly #run: ScriptRunner;
  readonly #retention: number;

  constructor(run: ScriptRunner, retention: number) {
    this.#run = run;
    this.#retention = retention;
  }

  async list(): Promise<StoredJob[]> {
    return jobPairs(await this.#run('listJobs', []));
  }

  async get(id: string): Promise<StoredJob | null> {
    return jobFromHash(id, (await this.#run('getJob', [id])) as string[]);
  }

  async register(job: StoredJob): Promise<StoredJob> {
    return jobFromHash(job.id, (await this.#run('registerJob', jobArgs(job))) as string[])!;
  }

  async markOrphans(declaredIds: readonly string[]): Promise<void> {
    await this.#run('markOrphans', [...new Set(declaredIds)]);
  }

  async remove(id: string): Promise<boolean> {
    return Number(await this.#run('removeJob', [id])) === 1;
  }

  async setPaused(id: string, paused: boolean): Promise<boolean> {
    return Number(await this.#run('setPaused', [id, paused ? '1' : '0'])) === 1;
  }

  async claimTick(claim: TickClaim): Promise<boolean> {
    return Number(await this.#run('claimTick', claimTickArgs(claim, this.#retention))) === 1;
  }

  async recordOutcome(jobId: string, taskId: string, outcome: JobRunOutcome): Promise<void> {
    await this.#run('recordOutcome', [jobId, taskId, outcome]);
  }

  async due(now: number, limit: number): Promise<StoredJob[]> {
    if (!(limit >= 1)) return [];
    const count = Number.isFinite(limit) ? String(Math.floor(limit)) : '-1'; // LIMIT 0 -1: all
    return jobPairs(await this.#run('dueJobs', [String(now), count]));
  }
}

/** Turns a script's `[id, HGETALL array, ...]` reply into jobs. */
function jobPairs(reply: unknown): StoredJob[] {
  const flat = reply as Array<string | string[]>;
  const jobs: StoredJob[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const job = jobFromHash(flat[i] as string, flat[i + 1] as string[]);
    if (job) jobs.push(job);
  }
  return jobs;
}
