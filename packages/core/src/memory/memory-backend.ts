import type {
  Aggregate,
  AggregateRequest,
  BackendCapabilities,
  CancelOutcome,
  ClaimRequest,
  HeartbeatReply,
  InstanceInfo,
  PurgeRequest,
  QueueOverride,
  QueueOverridePatch,
  SnapshotBackend,
  WriteResult,
} from '../backend/backend.js';
import { aggregateRecords } from '../model/aggregate.js';
import { applyClaim, isClaimable } from '../model/claim-rules.js';
import { countRecords, queryRecords } from '../model/query-filter.js';
import type { NormalizedTaskQuery, StatusCounts } from '../model/task-query.js';
import { cloneRecord, holdsKey, isFinished, type TaskRecord } from '../model/task-record.js';
import { MemoryCoordination } from './memory-coordination.js';
import { MemoryScheduleStore } from './memory-schedule-store.js';

/** The data one or more `MemoryBackend` objects share. */
class MemoryData {
  readonly tasks = new Map<string, TaskRecord>();
  /** Idempotency key → id of the record that holds it. */
  readonly keys = new Map<string, string>();
  readonly instances = new Map<string, InstanceInfo>();
  readonly coordination = new MemoryCoordination();
  readonly schedules = new MemoryScheduleStore((tasks) => this.write(tasks));

  /** The rules of `SnapshotBackend.write()`: key conflicts are reported, stale updates skipped. */
  write(records: readonly TaskRecord[]): WriteResult {
    const conflicts: WriteResult['conflicts'] = [];
    const fenced: string[] = [];
    for (const record of records) {
      if (record.idempotencyKey && holdsKey(record.status)) {
        const holder = this.keys.get(record.idempotencyKey);
        if (holder !== undefined && holder !== record.id) {
          conflicts.push({ id: record.id, existingId: holder });
          continue;
        }
      }
      const stored = this.tasks.get(record.id);
      const isManualRetry = stored !== undefined && isFinished(stored.status) && record.status === 'pending';
      if (stored && stored.owner !== null && stored.owner !== record.owner && !isManualRetry) {
        fenced.push(record.id);
        continue;
      }
      // A cancel request survives the owner's later writes; a manual retry starts afresh.
      const sticky = stored?.cancelRequested && !isManualRetry && !record.cancelRequested;
      this.put(sticky ? { ...record, cancelRequested: true } : record);
    }
    return { conflicts, fenced };
  }

  put(record: TaskRecord): void {
    const previous = this.tasks.get(record.id);
    if (previous?.idempotencyKey && this.keys.get(previous.idempotencyKey) === previous.id) {
      this.keys.delete(previous.idempotencyKey);
    }
    const stored = cloneRecord(record);
    this.tasks.set(record.id, stored);
    if (stored.idempotencyKey && holdsKey(stored.status)) this.keys.set(stored.idempotencyKey, stored.id);
  }

  remove(id: string): void {
    const record = this.tasks.get(id);
    if (!record) return;
    if (record.idempotencyKey && this.keys.get(record.idempotencyKey) === id)
      this.keys.delete(record.idempotencyKey);
    this.tasks.delete(id);
  }

  ownerAlive(owner: string | null, now: number): boolean {
    if (owner === null) return false;
    const instance = this.instances.get(owner);
    return instance !== undefined && instance.expiresAt > now;
  }
}

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /**
   * Share the data of another `MemoryBackend`, as two instances share one
   * database: useful to test several managers in one process.
   */
  sharedWith?: MemoryBackend;
}

/**
 * A `SnapshotBackend` that keeps everything in this process's memory.
 *
 * It is the reference implementation of the backend contract (the
 * conformance suite runs against it) and a stand-in store for tests. It does
 * not survive a restart; for that, use a real backend.
 */
export class MemoryBackend implements SnapshotBackend {
  /** One process's memory: no other process can share it. */
  static readonly capabilities: BackendCapabilities = Object.freeze({
    multiProcess: false,
    schedules: true,
    retention: true,
    notify: false,
  });
  readonly name = 'memory';
  readonly capabilities = MemoryBackend.capabilities;
  readonly #data: MemoryData;

  constructor(options: MemoryBackendOptions = {}) {
    this.#data = options.sharedWith ? options.sharedWith.#data : new MemoryData();
  }

  get schedules(): MemoryScheduleStore {
    return this.#data.schedules;
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async write(records: readonly TaskRecord[]): Promise<WriteResult> {
    return this.#data.write(records);
  }

  async get(id: string): Promise<TaskRecord | null> {
    const record = this.#data.tasks.get(id);
    return record ? cloneRecord(record) : null;
  }

  async query(query: NormalizedTaskQuery): Promise<TaskRecord[]> {
    return queryRecords(this.#data.tasks.values(), query).map(cloneRecord);
  }

  async counts(query: NormalizedTaskQuery): Promise<StatusCounts> {
    return countRecords(this.#data.tasks.values(), query);
  }

  async heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<HeartbeatReply> {
    const now = Date.now();
    const data = this.#data;
    const existing = data.instances.get(instanceId);
    data.instances.set(instanceId, {
      id: instanceId,
      expiresAt: now + ttlMs,
      startedAt: existing?.startedAt ?? now,
      meta: { ...meta },
    });
    const cancelRequests: string[] = [];
    for (const record of data.tasks.values()) {
      if (record.cancelRequested && record.owner === instanceId && !isFinished(record.status)) {
        cancelRequests.push(record.id);
      }
    }
    return { cancelRequests, queues: [...data.coordination.overrides.values()].map((o) => ({ ...o })) };
  }

  async setQueueOverride(name: string, patch: QueueOverridePatch): Promise<QueueOverride | null> {
    return this.#data.coordination.setOverride(name, patch, Date.now());
  }

  async acquire(key: string, holder: string, want: number, limit: number): Promise<number> {
    const now = Date.now();
    return this.#data.coordination.acquire(key, holder, want, limit, (who) =>
      this.#data.ownerAlive(who, now),
    );
  }

  async release(key: string, holder: string, count: number): Promise<void> {
    this.#data.coordination.release(key, holder, count);
  }

  async takeTokens(key: string, want: number, rate: { max: number; perMs: number }): Promise<number> {
    return this.#data.coordination.takeTokens(key, want, rate, Date.now());
  }

  async tryLock(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#data.coordination.tryLock(name, holder, ttlMs, Date.now());
  }

  async purge(request: PurgeRequest): Promise<number> {
    const data = this.#data;
    if (!isFinished(request.status)) return 0;
    const due = [...data.tasks.values()]
      .filter(
        (record) =>
          record.status === request.status &&
          !isClaimable(record) &&
          record.finishedAt !== null &&
          record.finishedAt < request.finishedBefore &&
          (request.queues === null
            ? !request.excludeQueues.includes(record.queue)
            : request.queues.includes(record.queue)),
      )
      .sort((a, b) => a.finishedAt! - b.finishedAt!)
      .slice(0, request.limit);
    for (const record of due) data.remove(record.id);
    return due.length;
  }

  async getMany(ids: readonly string[]): Promise<TaskRecord[]> {
    const found: TaskRecord[] = [];
    for (const id of ids) {
      const record = this.#data.tasks.get(id);
      if (record) found.push(cloneRecord(record));
    }
    return found;
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const data = this.#data;
    const record = data.tasks.get(id);
    if (!record) return 'missing';
    if (isFinished(record.status)) return 'finished';
    const now = Date.now();
    if (record.status === 'pending' && !data.ownerAlive(record.owner, now)) {
      data.put({
        ...record,
        status: 'cancelled',
        finishedAt: now,
        error: 'cancelled',
        cancelRequested: true,
      });
      return 'cancelled';
    }
    data.put({ ...record, cancelRequested: true });
    return 'requested';
  }

  async removeInstance(instanceId: string): Promise<void> {
    this.#data.instances.delete(instanceId);
  }

  async instances(): Promise<InstanceInfo[]> {
    return [...this.#data.instances.values()].map((instance) => ({
      ...instance,
      meta: { ...instance.meta },
    }));
  }

  async claim(request: ClaimRequest): Promise<TaskRecord[]> {
    const data = this.#data;
    const now = Date.now();
    if (!data.ownerAlive(request.instanceId, now)) return [];
    const dead = new Set(request.deadOwners ?? []);
    const candidates: TaskRecord[] = [];
    for (const record of data.tasks.values()) {
      if (!request.names.includes(record.name) || !isClaimable(record)) continue;
      if (record.owner === null && record.runAt > now) continue;
      if (request.excludeQueues?.includes(record.queue)) continue;
      const owner = record.owner;
      const gone = request.onlyDeadOwners
        ? owner !== null && dead.has(owner)
        : owner === null || dead.has(owner) || (owner !== request.instanceId && !data.ownerAlive(owner, now));
      if (gone) candidates.push(record);
    }
    candidates.sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    const claimed: TaskRecord[] = [];
    for (const record of candidates.slice(0, Math.max(0, request.limit))) {
      const taken = applyClaim(cloneRecord(record), request.instanceId, now);
      data.put(taken);
      claimed.push(cloneRecord(taken));
    }
    return claimed;
  }

  async now(): Promise<number> {
    return Date.now();
  }

  async aggregate(request: AggregateRequest): Promise<Aggregate> {
    return aggregateRecords(this.#data.tasks.values(), request);
  }
}
