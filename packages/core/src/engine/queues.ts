import type { QueueOverride } from '../backend/backend.js';
import type { ResolvedQueue } from '../options/index.js';

/** A queue as it applies now: its declaration, with any stored run-time override on top. */
export interface QueueView {
  name: string;
  paused: boolean;
  concurrency: number | null;
  globalConcurrency: number | null;
  maxSize: number | null;
  rateLimit: { max: number; perMs: number } | null;
  /** Whether a stored override changes the declaration. */
  overridden: boolean;
}

/**
 * The named queues of one manager: what code declared, and the overrides
 * stored at run time (`pauseQueue`, `setQueueConcurrency`), which win until
 * cleared. Every instance learns of overrides with its heartbeat.
 */
export class QueueRegistry {
  readonly #declared: Map<string, ResolvedQueue>;
  #overrides = new Map<string, QueueOverride>();

  constructor(declared: Map<string, ResolvedQueue>) {
    this.#declared = declared;
  }

  view(name: string): QueueView {
    const declared = this.#declared.get(name);
    const override = this.#overrides.get(name);
    return {
      name,
      paused: override?.paused ?? declared?.paused ?? false,
      concurrency: override?.concurrency ?? declared?.concurrency ?? null,
      globalConcurrency: override?.globalConcurrency ?? declared?.globalConcurrency ?? null,
      maxSize: declared?.maxSize ?? null,
      rateLimit: declared?.rateLimit ?? null,
      overridden: override !== undefined,
    };
  }

  /** Every queue declared or overridden, as it applies now. */
  views(): QueueView[] {
    const names = new Set([...this.#declared.keys(), ...this.#overrides.keys()]);
    return [...names].sort().map((name) => this.view(name));
  }

  /** Queues paused now (a claim leaves their work alone). */
  paused(): string[] {
    return this.views()
      .filter((queue) => queue.paused)
      .map((queue) => queue.name);
  }

  /** Replaces the overrides with the stored ones; true when anything changed. */
  applyAll(overrides: readonly QueueOverride[]): boolean {
    const next = new Map(overrides.map((override) => [override.name, override]));
    const same =
      next.size === this.#overrides.size &&
      [...next].every(([name, o]) => {
        const known = this.#overrides.get(name);
        return (
          known?.paused === o.paused &&
          known.concurrency === o.concurrency &&
          known.globalConcurrency === o.globalConcurrency
        );
      });
    this.#overrides = next;
    return !same;
  }

  /** Applies one override at once (this instance made it), or clears it with null. */
  apply(name: string, override: QueueOverride | null): void {
    if (override) this.#overrides.set(name, override);
    else this.#overrides.delete(name);
  }
}
