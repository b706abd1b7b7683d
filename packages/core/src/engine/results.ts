import type { SnapshotBackend } from '../backend/backend.js';
import { ResultTimeoutError } from '../errors/result-timeout-error.js';
import { TaskCancelledError } from '../errors/task-cancelled-error.js';
import { TaskFailedError } from '../errors/task-failed-error.js';
import { cloneRecord, type TaskRecord } from '../model/task-record.js';

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | null;
}

/** Whether a record will not change on its own any more (an interrupted requeueable one will run again). */
function isFinal(record: TaskRecord): boolean {
  if (record.status === 'interrupted') return !record.requeueOnInterrupt;
  return record.status !== 'pending' && record.status !== 'running';
}

/**
 * Everyone waiting for a task's result, whichever instance runs it. Tasks
 * that end here answer at once from their events; for the others, one
 * watcher per manager reads all awaited ids in one batch per round, so a
 * thousand waiters cost one query, not a thousand polls.
 */
export class ResultWaiters {
  readonly #backend: SnapshotBackend | null;
  readonly #local: (id: string) => TaskRecord | undefined;
  readonly #roundMs: number;
  readonly #waiters = new Map<string, Set<Waiter>>();
  #round: NodeJS.Timeout | null = null;

  constructor(
    backend: SnapshotBackend | null,
    local: (id: string) => TaskRecord | undefined,
    pollInterval: number,
  ) {
    this.#backend = backend;
    this.#local = local;
    this.#roundMs = Math.min(250, pollInterval);
  }

  /** Resolves with the task's return value or rejects with its final error; `ResultTimeoutError` after `timeout` ms. */
  async wait(id: string, timeout: number | null): Promise<unknown> {
    const known = this.#local(id) ?? (await this.#backend?.get(id)) ?? undefined;
    if (known && isFinal(known)) return settle(known);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: null };
      if (timeout !== null) {
        waiter.timer = setTimeout(() => {
          this.#remove(id, waiter);
          reject(new ResultTimeoutError(id, timeout));
        }, timeout);
      }
      const set = this.#waiters.get(id) ?? new Set<Waiter>();
      this.#waiters.set(id, set);
      set.add(waiter);
      this.#schedule();
    });
  }

  /** A task changed here: answer its waiters if it is final. */
  changed(record: TaskRecord): void {
    if (this.#waiters.has(record.id) && isFinal(record)) this.#answer(cloneRecord(record));
  }

  /** Rejects every waiter (the manager stopped). */
  stop(error: Error): void {
    if (this.#round) clearTimeout(this.#round);
    this.#round = null;
    for (const [id, set] of this.#waiters) {
      for (const waiter of set) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reject(error);
      }
      this.#waiters.delete(id);
    }
  }

  #schedule(): void {
    if (this.#round || !this.#backend || this.#waiters.size === 0) return;
    this.#round = setTimeout(() => void this.#poll(), this.#roundMs);
    this.#round.unref();
  }

  async #poll(): Promise<void> {
    const backend = this.#backend!;
    try {
      // Tasks running here usually answer first through their events; asking the store for
      // them too catches the ones another instance took over.
      const remote = [...this.#waiters.keys()];
      for (let i = 0; i < remote.length; i += 500) {
        for (const record of await backend.getMany(remote.slice(i, i + 500))) {
          if (isFinal(record)) this.#answer(record);
        }
      }
    } catch {
      // The store is unreachable for now: the next round asks again, each waiter's timeout still holds.
    } finally {
      this.#round = null;
      this.#schedule();
    }
  }

  #answer(record: TaskRecord): void {
    const set = this.#waiters.get(record.id);
    if (!set) return;
    this.#waiters.delete(record.id);
    for (const waiter of set) {
      if (waiter.timer) clearTimeout(waiter.timer);
      try {
        waiter.resolve(settle(record));
      } catch (error) {
        waiter.reject(error as Error);
      }
    }
  }

  #remove(id: string, waiter: Waiter): void {
    const set = this.#waiters.get(id);
    set?.delete(waiter);
    if (set?.size === 0) this.#waiters.delete(id);
  }
}

/** The value of a final record, or the error it ended with (thrown). */
function settle(record: TaskRecord): unknown {
  if (record.status === 'success') return record.result;
  if (record.status === 'cancelled') throw new TaskCancelledError(`task ${record.id} was cancelled`);
  throw new TaskFailedError(record);
}
