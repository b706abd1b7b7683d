import type { ClaimRequest, InstanceInfo, SnapshotBackend, WriteResult } from './backend.js';
import { MemoryScheduleStore } from './memory-schedule-store.js';
import { countRecords, queryRecords } from './query-filter.js';
import type { NormalizedTaskQuery, StatusCounts } from './task-query.js';
import { cloneRecord, holdsKey, isFinished, type TaskRecord } from './task-record.js';

/** The data one or more `MemoryBackend` objects share. */
class MemoryData {
  readonly tasks = new Map<string, TaskRecord>();
  /** Idempotency key → id of the record that holds it. */
  readonly keys = new Map<string, string>();
  readonly instances = new Map<string, InstanceInfo>();
  readonly schedules = new MemoryScheduleStore((tasks) => this.write(tasks));

  /** The rules of `SnapshotBackend.write()`: key conflicts are reported, stale updates skipped. */
  write(records: readonly TaskRecord[]): WriteResult {
    const conflicts: WriteResult['conflicts'] = [];
    for (const record of records) {
      if (record.idempotencyKey && holdsKey(record.status)) {
        const holder = this.keys.get(record.idempotencyKey);
        if (holder !== undefined && holder !== record.id) {
          conflicts.push({ id: record.id, existingId: holder });
          continue;
        }
      }
      const stored = this.tasks.get(record.id);
      if (stored && stored.owner !== null && stored.owner !== record.owner) {
        const isManualRetry = isFinished(stored.status) && record.status === 'pending';
        if (!isManualRetry) continue;
      }
      this.put(record);
    }
    return { conflicts };
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
  readonly name = 'memory';
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

  async heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<void> {
    const now = Date.now();
    const existing = this.#data.instances.get(instanceId);
    this.#data.instances.set(instanceId, {
      id: instanceId,
      expiresAt: now + ttlMs,
      startedAt: existing?.startedAt ?? now,
      meta: { ...meta },
    });
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
    const candidates: TaskRecord[] = [];
    for (const record of data.tasks.values()) {
      if (!request.names.includes(record.name)) continue;
      if (record.owner === request.instanceId || data.ownerAlive(record.owner, now)) continue;
      const claimable =
        record.status === 'pending' ||
        record.status === 'running' ||
        (record.status === 'interrupted' && record.requeueOnInterrupt);
      if (claimable) candidates.push(record);
    }
    candidates.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    const claimed: TaskRecord[] = [];
    for (const record of candidates.slice(0, request.limit)) {
      const taken = cloneRecord(record);
      const lostOwner = taken.owner;
      taken.owner = request.instanceId;
      if (taken.status === 'running' && !taken.requeueOnInterrupt) {
        taken.status = 'interrupted';
        taken.finishedAt = now;
        taken.error = `instance ${lostOwner ?? '(none)'} stopped before the task finished`;
      } else {
        taken.status = 'pending';
      }
      data.put(taken);
      claimed.push(cloneRecord(taken));
    }
    return claimed;
  }

  async now(): Promise<number> {
    return Date.now();
  }
}
