import type { TaskRecord } from '@errand/core';
import type { ResolvedOptions } from '../options.js';

/** Fingerprints remembered, so a change is published once (oldest forgotten first). */
const MAX_SEEN = 10_000;
/** Unfinished tasks of other instances whose fate is read back each poll, at most. */
const MAX_FOLLOWED = 100;
const RECENT_PAGE = 100;
const ACTIVE_PAGE = 200;

function fingerprint(record: TaskRecord): string {
  return `${record.status}:${record.attempt}:${record.finishedAt ?? ''}:${record.owner ?? ''}`;
}

/**
 * Finds changes made by other instances sharing the store, which this
 * process hears no event for. Core has no change feed, so each poll reads
 * the newest tasks, the unfinished ones, and the tasks that were unfinished
 * at the last poll but no longer are; a record whose state differs from
 * what was last seen is published. Runs only while clients are connected,
 * and only when the manager has a backend.
 */
export class StorePoller {
  readonly #options: ResolvedOptions;
  readonly #publish: (record: TaskRecord) => void;
  readonly #seen = new Map<string, string>();
  #followed = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  #seeded = false;

  constructor(options: ResolvedOptions, publish: (record: TaskRecord) => void) {
    this.#options = options;
    this.#publish = publish;
  }

  start(): void {
    // Any store may be shared (a MemoryBackend with `sharedWith` too); the cost is two reads per poll.
    if (this.#timer || !this.#options.manager.backend) return;
    this.#timer = setInterval(() => void this.poll(), this.#options.pollInterval);
    this.#timer.unref();
    void this.poll();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#seen.clear();
    this.#followed.clear();
    this.#seeded = false;
  }

  /** A change this process published from its own events: not to be published again from the store. */
  note(record: TaskRecord): void {
    this.#remember(record.id, fingerprint(record));
  }

  /** One round; the first one only learns the current state (no flood of old tasks on connect). */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const { manager } = this.#options;
      const [recent, active] = await Promise.all([
        manager.query({ limit: RECENT_PAGE }),
        manager.query({ status: ['pending', 'running'], limit: ACTIVE_PAGE }),
      ]);
      const records = new Map<string, TaskRecord>();
      for (const record of [...recent.records, ...active.records]) records.set(record.id, record);
      const gone = [...this.#followed].filter((id) => !records.has(id)).slice(0, MAX_FOLLOWED);
      for (const record of await Promise.all(gone.map((id) => manager.get(id)))) {
        if (record) records.set(record.id, record);
      }
      const followed = new Set<string>();
      for (const record of records.values()) {
        if (record.owner === manager.instanceId) continue;
        if (record.status === 'pending' || record.status === 'running') {
          if (followed.size < MAX_FOLLOWED) followed.add(record.id);
        }
        const print = fingerprint(record);
        if (this.#seen.get(record.id) === print) continue;
        this.#remember(record.id, print);
        if (this.#seeded) this.#publish(record);
      }
      this.#followed = followed;
      this.#seeded = true;
    } catch (error) {
      // The overview already says when the store is down; the next poll tries again.
      this.#options.logger.debug('dashboard: polling the store failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.#polling = false;
    }
  }

  #remember(id: string, print: string): void {
    this.#seen.delete(id);
    this.#seen.set(id, print);
    if (this.#seen.size > MAX_SEEN) this.#seen.delete(this.#seen.keys().next().value!);
  }
}
