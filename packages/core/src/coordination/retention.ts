import type { PurgeRequest, SnapshotBackend } from '../backend/backend.js';
import type { TaskStatus } from '../model/task-record.js';
import type { ResolvedManagerOptions } from '../options/index.js';

/** Records per purge call: small enough that no call holds the store for long. */
const BATCH = 500;
/** Batches per status and group per round; the next round goes on. */
const ROUND = 20;

/** One retention rule: which queues, and how long each finished status is kept (null: forever). */
interface Group {
  queues: string[] | null;
  excludeQueues: string[];
  retention: Record<string, number | null>;
}

/**
 * Deletes finished records past their retention, on every backend: one
 * instance at a time (a store lease), in bounded batches with pauses
 * between them, so enqueues never wait behind it. Queues with a retention
 * of their own are purged by their own rule, the rest by the manager's.
 */
export class RetentionLoop {
  readonly #backend: SnapshotBackend;
  readonly #options: ResolvedManagerOptions;
  readonly #report: (error: unknown) => void;
  readonly #groups: Group[];
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> | null = null;
  #stopped = false;

  constructor(backend: SnapshotBackend, options: ResolvedManagerOptions, report: (error: unknown) => void) {
    this.#backend = backend;
    this.#options = options;
    this.#report = report;
    const own = [...options.queues.values()].filter(
      (queue) => JSON.stringify(queue.retention) !== JSON.stringify(options.retention),
    );
    this.#groups = [
      ...own.map((queue) => ({ queues: [queue.name], excludeQueues: [], retention: queue.retention })),
      { queues: null, excludeQueues: own.map((queue) => queue.name), retention: options.retention },
    ];
  }

  start(): void {
    if (Object.values(this.#options.retention).every((ms) => ms === null) && this.#groups.length === 1)
      return;
    this.#timer = setInterval(() => void this.run(), this.#options.retentionInterval);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => 0);
  }

  /** One round, when this instance holds the lease; resolves with how many records went. */
  run(now = Date.now()): Promise<number> {
    this.#running ??= this.#round(now).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #round(now: number): Promise<number> {
    try {
      const lease = Math.max(this.#options.retentionInterval * 2, 30_000);
      if (!(await this.#backend.tryLock('retention', this.#options.instanceId, lease))) return 0;
      let deleted = 0;
      for (const group of this.#groups) {
        for (const [status, ms] of Object.entries(group.retention)) {
          if (ms === null) continue;
          const request: PurgeRequest = {
            status: status as TaskStatus,
            finishedBefore: now - ms,
            queues: group.queues,
            excludeQueues: group.excludeQueues,
            limit: BATCH,
          };
          for (let batch = 0; batch < ROUND && !this.#stopped; batch++) {
            const count = await this.#backend.purge(request);
            deleted += count;
            if (count < BATCH) break;
            // Let the store serve enqueues between batches.
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
      }
      return deleted;
    } catch (error) {
      this.#report(error);
      return 0;
    }
  }
}
