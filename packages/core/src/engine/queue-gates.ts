import type { SnapshotBackend } from '../backend/backend.js';
import type { QueueRegistry } from './queues.js';

/** A local token bucket, for a manager without a store (the store keeps one for a fleet). */
function refill(
  bucket: { tokens: number; at: number },
  rate: { max: number; perMs: number },
  now: number,
): void {
  bucket.tokens = Math.min(rate.max, bucket.tokens + ((now - bucket.at) * rate.max) / rate.perMs);
  bucket.at = now;
}

/**
 * The fleet-wide gates of a queue: its rate limit (tokens) and its
 * `globalConcurrency` (semaphore units), held in the store when there is one.
 * The dispatcher asks synchronously whether a task of a queue may start;
 * when the local stock is empty the gate fetches more in the background
 * (one request per queue at a time) and pumps again once it has some. A
 * task waits, it is never dropped.
 */
export class QueueGates {
  readonly #backend: SnapshotBackend | null;
  readonly #holder: string;
  readonly #queues: QueueRegistry;
  readonly #pump: () => void;
  readonly #report: (operation: string, error: unknown) => void;
  readonly #tokens = new Map<string, number>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #units = new Map<string, number>();
  readonly #fetching = new Set<string>();
  readonly #retry = new Map<string, NodeJS.Timeout>();

  constructor(
    backend: SnapshotBackend | null,
    holder: string,
    queues: QueueRegistry,
    pump: () => void,
    report: (operation: string, error: unknown) => void,
  ) {
    this.#backend = backend;
    this.#holder = holder;
    this.#queues = queues;
    this.#pump = pump;
    this.#report = report;
  }

  /** Whether one more task of `queue` may start now; if not, more is being fetched. */
  mayStart(queue: string, waiting: number): boolean {
    const view = this.#queues.view(queue);
    let open = true;
    if (view.rateLimit && this.#stock(this.#tokens, queue) < 1) {
      if (this.#backend) this.#fetch('tokens', queue, waiting);
      else {
        const bucket = this.#buckets.get(queue) ?? { tokens: view.rateLimit.max, at: Date.now() };
        this.#buckets.set(queue, bucket);
        refill(bucket, view.rateLimit, Date.now());
        if (bucket.tokens >= 1) {
          bucket.tokens--;
          this.#tokens.set(queue, 1);
        } else this.#later('tokens', queue, waiting, Math.ceil(view.rateLimit.perMs / view.rateLimit.max));
      }
      open = this.#stock(this.#tokens, queue) >= 1;
    }
    if (view.globalConcurrency !== null && this.#backend && this.#stock(this.#units, queue) < 1) {
      this.#fetch('units', queue, waiting);
      open = false;
    }
    return open;
  }

  /** A task of `queue` starts: it uses one token and one unit. */
  took(queue: string): void {
    const view = this.#queues.view(queue);
    if (view.rateLimit) this.#tokens.set(queue, this.#stock(this.#tokens, queue) - 1);
    if (view.globalConcurrency !== null && this.#backend)
      this.#units.set(queue, this.#stock(this.#units, queue) - 1);
  }

  /** A task of `queue` ended: its unit goes back to the fleet. */
  finished(queue: string): void {
    if (this.#queues.view(queue).globalConcurrency === null || !this.#backend) return;
    this.#backend
      .release(`slots:${queue}`, this.#holder, 1)
      .catch((error: unknown) => this.#report('release', error));
  }

  /** Gives back units fetched but not used (nothing waits in the queue any more). */
  settle(queue: string, waiting: number): void {
    const spare = this.#stock(this.#units, queue);
    if (waiting > 0 || spare < 1 || !this.#backend) return;
    this.#units.set(queue, 0);
    this.#backend
      .release(`slots:${queue}`, this.#holder, spare)
      .catch((error: unknown) => this.#report('release', error));
  }

  stop(): void {
    for (const timer of this.#retry.values()) clearTimeout(timer);
    this.#retry.clear();
  }

  #stock(stock: Map<string, number>, queue: string): number {
    return stock.get(queue) ?? 0;
  }

  #fetch(kind: 'tokens' | 'units', queue: string, waiting: number): void {
    const key = `${kind}:${queue}`;
    if (this.#fetching.has(key) || this.#retry.has(key)) return;
    const view = this.#queues.view(queue);
    const backend = this.#backend!;
    const want = Math.max(1, waiting);
    this.#fetching.add(key);
    const request =
      kind === 'tokens'
        ? backend.takeTokens(`rate:${queue}`, Math.min(want, view.rateLimit!.max), view.rateLimit!)
        : backend.acquire(`slots:${queue}`, this.#holder, want, view.globalConcurrency!);
    request.then(
      (granted) => {
        this.#fetching.delete(key);
        const stock = kind === 'tokens' ? this.#tokens : this.#units;
        stock.set(queue, this.#stock(stock, queue) + granted);
        if (granted > 0) this.#pump();
        else {
          // Nothing now: a token refills after per/max; a unit frees when a task ends somewhere.
          const wait = kind === 'tokens' ? Math.ceil(view.rateLimit!.perMs / view.rateLimit!.max) : 200;
          this.#later(kind, queue, waiting, wait);
        }
      },
      (error: unknown) => {
        this.#fetching.delete(key);
        this.#report(kind === 'tokens' ? 'takeTokens' : 'acquire', error);
        this.#later(kind, queue, waiting, 1000);
      },
    );
  }

  #later(kind: 'tokens' | 'units', queue: string, _waiting: number, ms: number): void {
    const key = `${kind}:${queue}`;
    if (this.#retry.has(key)) return;
    const timer = setTimeout(() => {
      this.#retry.delete(key);
      this.#pump();
    }, ms);
    timer.unref();
    this.#retry.set(key, timer);
  }
}
