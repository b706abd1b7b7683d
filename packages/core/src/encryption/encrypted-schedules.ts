import type {
  JobRunOutcome,
  ScheduleStore,
  StoredJob,
  TickClaim,
  TickClaimResult,
} from '../backend/schedule-store.js';
import type { Keyring } from './keyring.js';
import { decryptJobArgs, encryptJobArgs, encryptRecord } from './record-cipher.js';

/** The key id a sealed job's stored hash carries (`<hash>~<key id>`); stripped on every read. */
const KEY_SUFFIX = /~[A-Za-z0-9_.-]+$/;

/**
 * The scheduler's store behind encryption: a job's arguments are sealed like
 * a task's, and the task records a tick stores (its run, its missed or
 * skipped ticks) are encrypted as any other write.
 *
 * The stored definition hash of a sealed job carries the key id, so that
 * after a key rotation the next start that declares the job sees a changed
 * definition and stores it again, sealed with the current key (the store
 * keeps a job's options as they are while its hash is unchanged). Like any
 * changed definition, that recomputes the job's next run once.
 */
export class EncryptedScheduleStore implements ScheduleStore {
  readonly #inner: ScheduleStore;
  readonly #keyring: Keyring;

  constructor(inner: ScheduleStore, keyring: Keyring) {
    this.#inner = inner;
    this.#keyring = keyring;
  }

  #decrypt = (job: StoredJob): StoredJob => {
    const options = decryptJobArgs(job.id, job.options, this.#keyring);
    const definitionHash = job.definitionHash.replace(KEY_SUFFIX, '');
    return options === job.options ? job : { ...job, options, definitionHash };
  };

  async list(): Promise<StoredJob[]> {
    return (await this.#inner.list()).map(this.#decrypt);
  }

  async get(id: string): Promise<StoredJob | null> {
    const job = await this.#inner.get(id);
    return job && this.#decrypt(job);
  }

  async register(job: StoredJob): Promise<StoredJob> {
    const options = encryptJobArgs(job.id, job.options, this.#keyring);
    const definitionHash =
      options === job.options ? job.definitionHash : `${job.definitionHash}~${this.#keyring.current}`;
    return this.#decrypt(await this.#inner.register({ ...job, options, definitionHash }));
  }

  markOrphans(declaredIds: readonly string[]): Promise<void> {
    return this.#inner.markOrphans(declaredIds);
  }

  remove(id: string): Promise<boolean> {
    return this.#inner.remove(id);
  }

  setPaused(id: string, paused: boolean): Promise<boolean> {
    return this.#inner.setPaused(id, paused);
  }

  claimTick(claim: TickClaim): Promise<TickClaimResult> {
    return this.#inner.claimTick({
      ...claim,
      tasks: claim.tasks.map((task) => encryptRecord(task, this.#keyring)),
    });
  }

  recordOutcome(jobId: string, taskId: string, outcome: JobRunOutcome): Promise<void> {
    return this.#inner.recordOutcome(jobId, taskId, outcome);
  }

  async due(now: number, limit: number): Promise<StoredJob[]> {
    return (await this.#inner.due(now, limit)).map(this.#decrypt);
  }
}
