// The shape every measured system takes, so one workload drives them all.

/**
 * @typedef {object} System
 * @property {(onStart: (i: number) => void) => Promise<void>} start
 *   Connects and starts consuming; `onStart(i)` must be called first thing when task `i` starts.
 * @property {(i: number) => Promise<unknown>} enqueue One enqueue call carrying the payload `{ i }`.
 * @property {(from: number, count: number) => Promise<unknown>} [enqueueMany]
 *   One bulk call enqueueing payloads `{ i: from }` to `{ i: from + count - 1 }`.
 * @property {() => number} completed Tasks finished since start (in this process).
 * @property {(n: number) => Promise<void>} drained
 *   Resolves once the system has recorded `n` tasks (since start) as finished, written where it keeps
 *   them; may stop the system (Errand's final flush).
 * @property {(n: number) => Promise<void>} settled
 *   Resolves once `n` tasks have finished, leaving the system running (the end of a warm-up).
 * @property {() => Promise<void>} stop Stops and disconnects (idempotent).
 */

/**
 * @typedef {object} SystemContext
 * @property {string} namespace schema / database / key prefix / folder of this run
 * @property {number} concurrency tasks running at once
 */

/** Resolves once `check()` returns true, checking every `everyMs`. */
export async function waitFor(check, everyMs = 2) {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}

/** Calls `fn` once, whatever the number of calls. */
export function once(fn) {
  let promise = null;
  return () => {
    promise ??= Promise.resolve().then(fn);
    return promise;
  };
}
