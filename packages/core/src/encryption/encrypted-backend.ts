import type {
  Aggregate,
  AggregateRequest,
  BackendCapabilities,
  BackendContext,
  CancelOutcome,
  ClaimRequest,
  HeartbeatReply,
  InstanceInfo,
  PurgeRequest,
  QueueOverride,
  QueueOverridePatch,
  SnapshotBackend,
  WriteHints,
  WriteResult,
} from '../backend/backend.js';
import type { ScheduleStore } from '../backend/schedule-store.js';
import { QueryRefusedError } from '../errors/query-refused-error.js';
import type { NormalizedTaskQuery, StatusCounts } from '../model/task-query.js';
import type { TaskRecord } from '../model/task-record.js';
import { EncryptedScheduleStore } from './encrypted-schedules.js';
import { type EncryptionOptions, Keyring } from './keyring.js';
import { decryptRecord, encryptRecord } from './record-cipher.js';
import { type ReencryptOptions, type ReencryptReport, reencryptStore } from './reencrypt.js';

/**
 * A backend that encrypts task arguments, results and logs (and, when asked,
 * errors) before they reach `inner`, and decrypts them on every read. The
 * manager installs it when given the `encryption` option, in front of the
 * backend given, so everything that stores through the manager goes through
 * it: the write batcher, durable enqueues, retries, the scheduler's ticks
 * (`schedules.claimTick`) and the jobs' arguments.
 *
 * Everything else (ids, names, statuses, times, tags, idempotency keys,
 * owners, headers) stays plain: the stores filter, claim and fence on it.
 */
export class EncryptedBackend implements SnapshotBackend {
  /** The backend that holds the ciphertext. */
  readonly inner: SnapshotBackend;
  readonly keyring: Keyring;
  readonly schedules?: ScheduleStore;
  notify?: () => Promise<void>;
  watch?: (onWork: () => void) => Promise<() => Promise<void>>;

  constructor(inner: SnapshotBackend, options: EncryptionOptions) {
    this.inner = inner;
    this.keyring = new Keyring(options);
    // Optional members exist only when the store has them: the manager reads their presence.
    if (inner.schedules) this.schedules = new EncryptedScheduleStore(inner.schedules, this.keyring);
    if (inner.notify) this.notify = () => inner.notify!();
    if (inner.watch) this.watch = (onWork) => inner.watch!(onWork);
  }

  get name(): string {
    return this.inner.name;
  }

  get capabilities(): BackendCapabilities {
    return this.inner.capabilities;
  }

  #decrypt = (record: TaskRecord): TaskRecord => decryptRecord(record, this.keyring);

  /** Refuses filters that would search inside a field the store holds only as ciphertext. */
  #checkQuery(query: NormalizedTaskQuery): void {
    if (query.errorContains !== null && this.keyring.fields.has('error')) {
      throw new QueryRefusedError(
        'errorContains',
        'errorContains cannot search errors: they are encrypted at rest (encryption.fields includes "error"); filter by status, name, queue, tags or time instead',
      );
    }
  }

  open(context: BackendContext): Promise<void> {
    return this.inner.open(context);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  // Position for position, so the hints still describe the records they came with.
  write(records: readonly TaskRecord[], hints?: WriteHints): Promise<WriteResult> {
    return this.inner.write(
      records.map((record) => encryptRecord(record, this.keyring)),
      hints,
    );
  }

  async get(id: string): Promise<TaskRecord | null> {
    const record = await this.inner.get(id);
    return record && this.#decrypt(record);
  }

  async getMany(ids: readonly string[]): Promise<TaskRecord[]> {
    return (await this.inner.getMany(ids)).map(this.#decrypt);
  }

  async query(query: NormalizedTaskQuery): Promise<TaskRecord[]> {
    this.#checkQuery(query);
    return (await this.inner.query(query)).map(this.#decrypt);
  }

  counts(query: NormalizedTaskQuery): Promise<StatusCounts> {
    this.#checkQuery(query);
    return this.inner.counts(query);
  }

  async claim(request: ClaimRequest): Promise<TaskRecord[]> {
    return (await this.inner.claim(request)).map(this.#decrypt);
  }

  heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<HeartbeatReply> {
    return this.inner.heartbeat(instanceId, ttlMs, meta);
  }

  cancel(id: string): Promise<CancelOutcome> {
    return this.inner.cancel(id);
  }

  removeInstance(instanceId: string): Promise<void> {
    return this.inner.removeInstance(instanceId);
  }

  instances(): Promise<InstanceInfo[]> {
    return this.inner.instances();
  }

  now(): Promise<number> {
    return this.inner.now();
  }

  aggregate(request: AggregateRequest): Promise<Aggregate> {
    return this.inner.aggregate(request);
  }

  setQueueOverride(name: string, patch: QueueOverridePatch): Promise<QueueOverride | null> {
    return this.inner.setQueueOverride(name, patch);
  }

  acquire(key: string, holder: string, want: number, limit: number): Promise<number> {
    return this.inner.acquire(key, holder, want, limit);
  }

  release(key: string, holder: string, count: number): Promise<void> {
    return this.inner.release(key, holder, count);
  }

  takeTokens(key: string, want: number, rate: { max: number; perMs: number }): Promise<number> {
    return this.inner.takeTokens(key, want, rate);
  }

  purge(request: PurgeRequest): Promise<number> {
    return this.inner.purge(request);
  }

  tryLock(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.inner.tryLock(name, holder, ttlMs);
  }

  /** Rewrites finished history sealed with older keys (or not yet sealed) with the current key: see `manager.reencrypt()`. */
  reencrypt(options: ReencryptOptions = {}): Promise<ReencryptReport> {
    return reencryptStore(this.inner, this.keyring, options);
  }
}
