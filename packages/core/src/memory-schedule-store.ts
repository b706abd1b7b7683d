import type { JobRunOutcome, ScheduleStore, StoredJob } from './schedule-store.js';
import type { TaskRecord } from './task-record.js';

function copyJob(job: StoredJob): StoredJob {
  return { ...job, trigger: { ...job.trigger }, options: { ...job.options } };
}

/**
 * The in-memory `ScheduleStore`: the reference for backends and the store
 * of a manager without a backend. `insertTask` writes a tick's task into the
 * task data of the same backend, so that a claim and its task land together.
 */
export class MemoryScheduleStore implements ScheduleStore {
  readonly #jobs = new Map<string, StoredJob>();
  readonly #insertTask: (task: TaskRecord) => void;

  constructor(insertTask: (task: TaskRecord) => void) {
    this.#insertTask = insertTask;
  }

  async list(): Promise<StoredJob[]> {
    return [...this.#jobs.values()].map(copyJob);
  }

  async get(id: string): Promise<StoredJob | null> {
    const job = this.#jobs.get(id);
    return job ? copyJob(job) : null;
  }

  async register(job: StoredJob): Promise<StoredJob> {
    const stored = this.#jobs.get(job.id);
    if (stored && stored.definitionHash === job.definitionHash) {
      stored.orphaned = false;
      stored.options = { ...job.options };
      stored.taskName = job.taskName;
      return copyJob(stored);
    }
    const fresh = copyJob({ ...job, orphaned: false, updatedAt: Date.now() });
    this.#jobs.set(job.id, fresh);
    return copyJob(fresh);
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

  async claimTick(
    id: string,
    expectedNextRunAt: number,
    nextRunAt: number | null,
    task: TaskRecord | null,
  ): Promise<boolean> {
    const job = this.#jobs.get(id);
    if (!job || job.nextRunAt !== expectedNextRunAt) return false;
    job.nextRunAt = nextRunAt;
    job.updatedAt = Date.now();
    if (task) this.#insertTask(task);
    return true;
  }

  async recordOutcome(id: string, at: number, outcome: JobRunOutcome): Promise<void> {
    const job = this.#jobs.get(id);
    if (!job) return;
    job.lastRunAt = at;
    job.lastOutcome = outcome;
    job.updatedAt = Date.now();
  }

  async due(now: number, limit: number): Promise<StoredJob[]> {
    const due: StoredJob[] = [];
    for (const job of this.#jobs.values()) {
      if (!job.paused && !job.orphaned && job.nextRunAt !== null && job.nextRunAt <= now)
        due.push(copyJob(job));
    }
    due.sort((a, b) => (a.nextRunAt ?? 0) - (b.nextRunAt ?? 0));
    return due.slice(0, limit);
  }
}
