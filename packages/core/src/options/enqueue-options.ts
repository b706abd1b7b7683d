import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { duration, MAX_TIME_MS, positive } from './checks.js';
import { checkPriority } from './task-options.js';

/** Options of one `enqueue()`. */
export interface EnqueueOptions {
  /**
   * While a task with this key is pending, running, succeeded or interrupted,
   * enqueueing the key again returns that task's id and runs nothing new,
   * across instances when the backend is shared.
   */
  idempotencyKey?: string;
  /** Start no earlier than this many ms from now. */
  delay?: number;
  /** Start no earlier than this time. */
  runAt?: Date | number;
  /** Labels stored with the task, as key/value pairs (`{ userId: '42' }`); `query({ tags })` finds them. */
  tags?: Record<string, string>;
  /** Higher runs first within its queue. Default: the task's `priority` (0). */
  priority?: number;
  /**
   * Start deadline, counted from when the task is due (`runAt`): a task not
   * started by then ends `expired` instead of running late. Ms or `'30s'`, `'5m'`...
   */
  expiresIn?: number | string;
}

/** Checks `enqueue()`'s timing options and returns when the task may first run. */
export function resolveRunAt(options: EnqueueOptions, now: number): number {
  if (options.delay !== undefined && options.runAt !== undefined) {
    throw new InvalidOptionError('enqueue: pass either delay or runAt, not both');
  }
  let at = now;
  if (options.delay !== undefined) at = now + positive(options.delay, 'enqueue: delay', 0);
  else if (options.runAt !== undefined) {
    at = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw new InvalidOptionError('enqueue: runAt must be a valid Date or epoch milliseconds');
    }
  }
  // A time no Date can hold would be refused by the store (BIGINT overflow) and fail
  // every batch it joins: refuse it here, where the caller can still fix it.
  if (Math.abs(at) > MAX_TIME_MS) {
    throw new InvalidOptionError(
      `enqueue: ${options.delay !== undefined ? 'delay' : 'runAt'} puts the task past the range of a Date (±8.64e15 ms)`,
    );
  }
  return Math.round(at);
}

/** The start deadline of a task due at `runAt`, or null. */
export function resolveExpiresAt(options: EnqueueOptions, runAt: number): number | null {
  if (options.expiresIn === undefined) return null;
  const at = runAt + duration(options.expiresIn, 'enqueue: expiresIn');
  if (at > MAX_TIME_MS)
    throw new InvalidOptionError('enqueue: expiresIn puts the deadline past the range of a Date');
  return Math.round(at);
}

/** Checks enqueue tags: at most 20 pairs, keys of 1 to 100 characters, values of at most 200. */
export function checkTags(tags: unknown): Record<string, string> {
  if (tags === undefined) return {};
  const entries = tags && typeof tags === 'object' && !Array.isArray(tags) ? Object.entries(tags) : null;
  if (
    !entries ||
    entries.length > 20 ||
    entries.some(
      ([key, value]) => key === '' || key.length > 100 || typeof value !== 'string' || value.length > 200,
    )
  ) {
    throw new InvalidOptionError(
      'enqueue: tags must be an object of at most 20 string values (keys 1-100 characters, values up to 200), such as { userId: "42" }',
    );
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Checks an idempotency key. */
export function checkIdempotencyKey(key: unknown): string | null {
  if (key === undefined || key === null) return null;
  if (typeof key !== 'string' || key === '' || key.length > 255) {
    throw new InvalidOptionError('enqueue: idempotencyKey must be a string of 1 to 255 characters');
  }
  return key;
}

/** The priority of one enqueue: its own, else its task's. */
export function resolvePriority(options: EnqueueOptions, fallback: number): number {
  return checkPriority(options.priority, 'enqueue: priority', fallback);
}
