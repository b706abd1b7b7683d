import { InvalidOptionError } from '../errors/invalid-option-error.js';
import type { Observer, TaskEvent } from './observer.js';

/** The memory observer: what it received, oldest first. */
export interface MemoryObserver extends Observer {
  /** The last `limit` events received, oldest first. */
  readonly events: TaskEvent[];
  /** Forgets every event. */
  clear(): void;
}

/**
 * Keeps the last `limit` events in memory (default 1000): for tests, and for
 * a page that shows recent activity.
 *
 * ```ts
 * const recorder = memoryObserver({ limit: 100 });
 * const manager = new TaskManager({ observers: [recorder] });
 * // ... recorder.events.filter((e) => e.type === 'failed')
 * ```
 */
export function memoryObserver(options: { limit?: number } = {}): MemoryObserver {
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new InvalidOptionError('memoryObserver: limit must be a positive integer');
  }
  let events: TaskEvent[] = [];
  // Trimmed in bulk once twice the limit is reached: shifting one element per event costs O(limit).
  const trim = () => {
    if (events.length > limit) events = events.slice(events.length - limit);
  };
  return {
    onEvent(event: TaskEvent) {
      events.push(event);
      if (events.length >= limit * 2) trim();
    },
    get events() {
      trim();
      return events;
    },
    clear() {
      events = [];
    },
  };
}
