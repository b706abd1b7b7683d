import { BackendError, type BackendFailure } from '../errors/backend-error.js';
import { ErrandError } from '../errors/errand-error.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';

/** Default time limit of one store call, in ms (`operationTimeout` of every backend). */
export const DEFAULT_OPERATION_TIMEOUT = 5000;

/** Checks a backend's `operationTimeout` option (ms, a whole number of at least 10). */
export function resolveOperationTimeout(value: unknown, backend: string): number {
  if (value === undefined) return DEFAULT_OPERATION_TIMEOUT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 10 || value > 2_147_483_647) {
    throw new InvalidOptionError(
      `${backend}: operationTimeout must be a whole number of ms from 10 to 2147483647, got ${String(value)}`,
    );
  }
  return value;
}

/** How one backend runs its calls: see {@link StoreCaller}. */
export interface StoreCallerOptions {
  /** The backend's short name, as in its errors (`'postgres'`). */
  backend: string;
  /** Time limit of one call in ms. */
  timeout: number;
  /** Says whether a driver error is the store refusing the data (`'refused'`) or anything else. */
  classify?: (error: unknown) => BackendFailure;
  /** Errors after which the whole call may simply run again (deadlocks, serialization failures). */
  isTransient?: (error: unknown) => boolean;
  /** Runs of a call hit by transient errors, the first included. Default 6. */
  attempts?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one place where a backend's calls get their time limit, their retries
 * of transient errors and their `BackendError`: every backend runs each
 * call through `call()`.
 *
 * A call that takes longer than `timeout` rejects with a `BackendError`
 * whose `failure` is `'timeout'`; the driver's own work is left to finish or
 * fail on its own (its late outcome is ignored), so a black-holed connection
 * can never hang the manager. Errors that are already Errand's own
 * (`InvalidStateError`, `SchemaVersionError`...) pass through unchanged.
 */
export class StoreCaller {
  readonly #options: Required<StoreCallerOptions>;

  constructor(options: StoreCallerOptions) {
    this.#options = {
      classify: () => 'unavailable',
      isTransient: () => false,
      attempts: 6,
      ...options,
    };
  }

  get timeout(): number {
    return this.#options.timeout;
  }

  /** Wraps a driver error as this backend's `BackendError` for `operation`. */
  error(operation: string, cause: unknown): ErrandError {
    if (cause instanceof ErrandError) return cause;
    return new BackendError(this.#options.backend, operation, cause, this.#options.classify(cause));
  }

  /**
   * Runs `work` within the time limit, again (with jittered backoff) while it
   * fails with a transient error, and turns any failure into a `BackendError`.
   * `work` must be safe to run again after a transient failure: a whole
   * transaction or a single statement, never half of one.
   */
  async call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const { attempts, isTransient } = this.#options;
    const deadline = performance.now() + this.#options.timeout;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#limited(operation, work, deadline - performance.now());
      } catch (error) {
        if (attempt < attempts && !(error instanceof ErrandError) && isTransient(error)) {
          // Full jitter on a doubling base: two writers that deadlocked on each other
          // come back at different times.
          await sleep(Math.random() * 5 * 2 ** attempt);
          if (performance.now() < deadline) continue;
        }
        throw this.error(operation, error);
      }
    }
  }

  #limited<T>(operation: string, work: () => Promise<T>, remaining: number): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = work();
    } catch (error) {
      return Promise.reject(error);
    }
    if (remaining === Number.POSITIVE_INFINITY) return pending;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          // The late outcome of the driver is dropped, never left unhandled.
          pending.catch(() => {});
          reject(
            new BackendError(
              this.#options.backend,
              operation,
              new Error(`no answer within ${this.#options.timeout} ms (operationTimeout)`),
              'timeout',
            ),
          );
        },
        Math.max(0, remaining),
      );
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
