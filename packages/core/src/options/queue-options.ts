import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { FINISHED_STATUSES, type TaskStatus } from '../model/task-record.js';
import { duration, integer, label } from './checks.js';

/** How long finished records are kept, per status: ms or `'7d'`; `null` keeps them forever. */
export type RetentionOptions = Partial<Record<TaskStatus, number | string | null>>;

/**
 * Retention unless told otherwise: history stops growing without bound,
 * and failures stay long enough to be looked into.
 */
export const DEFAULT_RETENTION: Readonly<Record<string, string>> = Object.freeze({
  success: '7d',
  failed: '30d',
  interrupted: '30d',
  cancelled: '7d',
  rejected: '7d',
  expired: '7d',
});

/** A named queue: its limits, rate and retention. */
export interface QueueOptions {
  /** Attempts of this queue running at once in each instance. Default: only the manager's `concurrency`. */
  concurrency?: number;
  /** Attempts of this queue running at once across every instance sharing the store. Default none. */
  globalConcurrency?: number;
  /**
   * Pending (not running) tasks the queue may hold; one more is refused with
   * `QueueFullError` and kept in history as `rejected`. Default none.
   */
  maxSize?: number;
  /**
   * A token bucket: a burst of up to `max` starts, then `max` per `per` (ms
   * or `'1s'`, `'1m'`...) on average; held across instances on a shared store.
   * Tasks over the rate wait, they are never dropped.
   */
  rateLimit?: { max: number; per: number | string };
  /** Retention of this queue's finished records, per status (wins over the manager's). */
  retention?: RetentionOptions;
  /** Declared paused: its tasks wait until `resumeQueue()`. Default false. */
  paused?: boolean;
}

export interface ResolvedQueue {
  name: string;
  concurrency: number | null;
  globalConcurrency: number | null;
  maxSize: number | null;
  rateLimit: { max: number; perMs: number } | null;
  /** Ms to keep finished records, per finished status; null: forever. */
  retention: Record<string, number | null>;
  paused: boolean;
}

/** Retention per finished status: `overrides` win over `base`; `false` keeps everything forever. */
export function resolveRetention(
  base: Record<string, number | null>,
  overrides: RetentionOptions | undefined,
  name: string,
): Record<string, number | null> {
  const resolved = { ...base };
  for (const [status, value] of Object.entries(overrides ?? {})) {
    if (!FINISHED_STATUSES.includes(status as TaskStatus)) {
      throw new InvalidOptionError(`${name}: retention applies to finished statuses only, not "${status}"`);
    }
    resolved[status] = value === null ? null : duration(value, `${name}.${status}`);
  }
  return resolved;
}

/** Every declared queue, checked, plus `default` (always there). */
export function resolveQueues(
  queues: Record<string, QueueOptions> | undefined,
  retention: Record<string, number | null>,
): Map<string, ResolvedQueue> {
  const resolved = new Map<string, ResolvedQueue>();
  const declared: Record<string, QueueOptions> = { default: {}, ...queues };
  for (const [name, options] of Object.entries(declared)) {
    label(name, 'queues: a queue name');
    const where = `queues.${name}`;
    const rate = options.rateLimit;
    if (rate !== undefined && (typeof rate !== 'object' || rate === null)) {
      throw new InvalidOptionError(`${where}.rateLimit must be { max, per }`);
    }
    const optional = (value: unknown, field: string) =>
      value === undefined ? null : integer(value, `${where}.${field}`, 1, field === 'maxSize' ? 0 : 1);
    resolved.set(name, {
      name,
      concurrency: optional(options.concurrency, 'concurrency'),
      globalConcurrency: optional(options.globalConcurrency, 'globalConcurrency'),
      maxSize: optional(options.maxSize, 'maxSize'),
      rateLimit: rate
        ? {
            max: integer(rate.max, `${where}.rateLimit.max`, 1, 1),
            perMs: Math.max(1, duration(rate.per, `${where}.rateLimit.per`)),
          }
        : null,
      retention: resolveRetention(retention, options.retention, `${where}.retention`),
      paused: options.paused ?? false,
    });
  }
  return resolved;
}
