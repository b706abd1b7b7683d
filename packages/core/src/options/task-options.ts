import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { integer, label, MAX_TIMER_MS, positive } from './checks.js';

/** Where new tasks run: see `TaskOptions.dispatch`. */
export type Dispatch = 'local' | 'shared';

/** Per-task behaviour, given to `define()` (and as manager-wide `taskDefaults`). */
export interface TaskOptions {
  /** Extra attempts after the first one fails. Default 0. */
  retries?: number;
  /** Delay before the first retry, in ms. Default 1000. */
  retryDelay?: number;
  /** Multiplier of the delay for each further retry. Default 2. */
  backoff?: number;
  /** Upper bound of a retry delay, in ms. Default 300000 (5 min). */
  maxRetryDelay?: number;
  /**
   * Randomises retry delays so that failures do not retry in lockstep:
   * `true` = full jitter (0..delay), a number in [0, 1] = that fraction of the
   * delay may be taken off. Default `false`.
   */
  jitter?: boolean | number;
  /** Per-attempt time limit in ms: the task's `signal` aborts and the attempt fails. Default none. */
  timeout?: number;
  /** Re-dispatch this task when it was interrupted (its work is idempotent). Default false. */
  requeueOnInterrupt?: boolean;
  /** At most this many attempts of this task name run at once in this manager. Default none. */
  concurrency?: number;
  /**
   * Where new tasks of this name run: `'local'` (default) in the instance
   * that enqueued them; `'shared'`: stored unowned and claimed by whichever
   * live instance that defines them has a free slot (the caller included).
   * Needs a backend. Overrides the manager's `dispatch`.
   */
  dispatch?: Dispatch;
  /** The named queue its runs wait in (see the manager's `queues`). Default `'default'`. */
  queue?: string;
  /** Priority of its runs unless `enqueue()` says otherwise; higher runs first within a queue. Default 0. */
  priority?: number;
}

export interface ResolvedTaskOptions {
  retries: number;
  retryDelay: number;
  backoff: number;
  maxRetryDelay: number;
  jitter: number;
  timeout: number | null;
  requeueOnInterrupt: boolean;
  concurrency: number | null;
  dispatch: Dispatch | null;
  queue: string;
  priority: number;
}

/** A priority: a whole number from -1000000 to 1000000. */
export function checkPriority(value: unknown, name: string, fallback: number): number {
  return value === undefined ? fallback : integer(value, name, fallback, -1_000_000, 1_000_000);
}

export function checkDispatch(value: unknown, name: string): Dispatch | null {
  if (value === undefined) return null;
  if (value !== 'local' && value !== 'shared') {
    throw new InvalidOptionError(`${name} must be 'local' or 'shared', got ${String(value)}`);
  }
  return value;
}

/** Applies defaults (manager-wide first, then built-in) and checks a task's options. */
export function resolveTaskOptions(
  options: TaskOptions = {},
  defaults: TaskOptions = {},
  name = 'task options',
): ResolvedTaskOptions {
  const merged = { ...defaults, ...options };
  const jitter =
    merged.jitter === true ? 1 : merged.jitter === false || merged.jitter === undefined ? 0 : merged.jitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidOptionError(`${name}: jitter must be a boolean or a number from 0 to 1`);
  }
  if (
    merged.timeout !== undefined &&
    !(typeof merged.timeout === 'number' && merged.timeout > 0 && merged.timeout <= MAX_TIMER_MS)
  ) {
    // setTimeout turns anything above 2^31 - 1 ms into 1 ms: refuse it rather than time out at once.
    throw new InvalidOptionError(
      `${name}: timeout must be a positive number of ms, at most ${MAX_TIMER_MS} (about 24.8 days)`,
    );
  }
  return {
    retries: integer(merged.retries, `${name}: retries`, 0, 0),
    retryDelay: positive(merged.retryDelay, `${name}: retryDelay`, 1000),
    backoff: positive(merged.backoff, `${name}: backoff`, 2, 1),
    maxRetryDelay: positive(merged.maxRetryDelay, `${name}: maxRetryDelay`, 300_000),
    jitter,
    timeout: merged.timeout ?? null,
    requeueOnInterrupt: merged.requeueOnInterrupt ?? false,
    concurrency:
      merged.concurrency === undefined ? null : integer(merged.concurrency, `${name}: concurrency`, 1, 1),
    dispatch: checkDispatch(merged.dispatch, `${name}: dispatch`),
    queue: merged.queue === undefined ? 'default' : label(merged.queue, `${name}: queue`),
    priority: checkPriority(merged.priority, `${name}: priority`, 0),
  };
}
