import type { WriteResult } from '../backend/backend.js';
import type {
  JobRunOutcome,
  ScheduleStore,
  StoredJob,
  TickClaim,
  TickClaimResult,
} from '../backend/schedule-store.js';
import type { TaskRecord } from '../model/task-record.js';

function copyJob(job: StoredJob): StoredJob {
  return {
    ...job,
    trigger: { ...job.trigger },
    options: { ...job.options },
    activeRuns: job.activeRuns.slice(),
  };
}

/**
 * The in-memory `ScheduleStore`: the reference for backends, and the store
 * of a scheduler whose manager has no backend. `storeTasks` writes a tick's
 * tasks with the rules of `SnapshotBackend.write()`, so that a claim and its
 * tasks land together.
 */
export class MemoryScheduleStore implements ScheduleStore {
  readonly #jobs = new Map<string, StoredJob>();
  readonly #storeTasks: (tasks: readonly TaskRecord[]) => WriteResult;

  constructor(
    storeTasks: (tasks: readonly TaskRecord[]) => WriteResult = () => ({ conflicts: [], fenced: [] }),
  ) {
    this.#storeTasks = storeTasks;
  }

  async list(): Promise<StoredJob[]> {
    return [...this.#jobs.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(copyJob);
  }

  async get(id: string): Promise<StoredJob | null> {
    const job = this.#jobs.get(id);
    return job ? copyJob(job) : null;
  }

  async register(job: StoredJob): Promise<StoredJob> {
    const stored = this.#jobs.get(job.id);
    if (!stored) {
      this.#jobs.set(job.id, copyJob({ ...job, orphaned: false }));
    } else if (stored.definitionHash === job.definitionHash) {
      stored.orphaned = false;
    } else {
      Object.assign(stored, {
        taskName: job.taskName,
        trigger: { ...job.trigger },
        options: { ...job.options },
        definitionHash: job.definitionHash,
        nextRunAt: job.nextRunAt,
        orphaned: false,
        updatedAt: Date.now(),
      });
    }
    return copyJob(this.#jobs.get(job.id)!);
  }

  async markOrphans(declaredIds: readonly string[]): Promise<void> {
    const declared = new Set(declaredIds);
    for (const job of this.#jobs.values()) job.orphaned = !declared.has(job.id);
  }

  async remove(id: string): Promise<boolean> {
    return this.#jobs.delete(id);
  }

  async setPaused(id: string, paused: boolean): Promise<boolean> {
    const job = this.#jobs.get(id);
    if (!job) return false;
    job.paused = paused;
    job.updatedAt = Date.now();
    return true;
  }

  async claimTick(claim: TickClaim): Promise<TickClaimResult> {
    const job = this.#jobs.get(claim.jobId);
    if (!job || job.nextRunAt !== claim.expectedNextRunAt) return { won: false, conflicts: [] };
    const { conflicts } = claim.tasks.length > 0 ? this.#storeTasks(claim.tasks) : { conflicts: [] };
    const refused = new Set(conflicts.map((conflict) => conflict.id));
    job.nextRunAt = claim.nextRunAt;
    job.activeRuns = claim.activeRuns.filter((id) => !refused.has(id));
    job.lastRunAt = claim.lastRunAt;
    if (claim.lastOutcome !== null) job.lastOutcome = claim.lastOutcome;
    job.updatedAt = Date.now();
    return { won: true, conflicts };
  }

  async recordOutcome(jobId: string, taskId: string, outcome: JobRunOutcome): Promise<void> {
    const job = this.#jobs.get(jobId);
    if (!job) return;
    job.activeRuns = job.activeRuns.filter((id) => id !== taskId);
    job.lastOutcome = outcome;
    job.updatedAt = Date.now();
  }

  async due(now: number, limit: number): Promise<StoredJob[]> {
    const due: StoredJob[] = [];
    for (const job of this.#jobs.values()) {
      if (!job.paused && !job.orphaned && job.nextRunAt !== null && job.nextRunAt <= now)
        due.push(copyJob(job));
    }
    due.sort((a, b) => a.nextRunAt! - b.nextRunAt! || (a.id < b.id ? -1 : 1));
    return due.slice(0, limit);
  }
}
