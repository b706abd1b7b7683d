import {
  type BackendCapabilities,
  newTaskId,
  type SnapshotBackend,
  type TaskManager,
  type TaskRecord,
} from '../index.js';
import type { ProcessBackendSpec } from './chaos.js';

/**
 * What a backend package gives the conformance suite: a way to make an
 * isolated, empty store (its own schema, database file or key prefix).
 */
export interface ConformanceTarget {
  /** Shown in test names, e.g. `'postgres'`. */
  name: string;
  /**
   * What the backend supports (its `capabilities`): the suite registers the
   * cases each capability calls for, and leaves the others out visibly.
   */
  capabilities: BackendCapabilities;
  /** Creates an isolated, empty store. Called once per test. */
  setup(): Promise<ConformanceStore>;
  /** When true the suite is registered as skipped (see `requireService`). */
  skip?: boolean;
  /**
   * For a store reached over the network: where its server listens. The
   * stalled-connection cases then run, and every store from `setup()` must
   * give `connectThrough`.
   */
  network?: { endpoint: { host: string; port: number } };
}

/** One isolated store made by {@link ConformanceTarget.setup}. */
export interface ConformanceStore {
  /**
   * A new backend object connected to this store. Calling it twice gives two
   * independent connections to the same data, as two instances would have.
   */
  connect(): SnapshotBackend;
  /** Drops the store (schema, file, keys). Backends are closed before. */
  teardown(): Promise<void>;
  /**
   * How a child process builds a backend on this store, for the cases with
   * real separate processes (SIGKILL, takeover). Required unless the target
   * declares `capabilities.multiProcess: false`.
   */
  processBackend?: ProcessBackendSpec;
  /**
   * A backend on this store that connects to `host:port` instead of the
   * server itself (the suite puts a proxy there that can stall), with the
   * given `operationTimeout`. Required when the target gives `network`.
   */
  connectThrough?(host: string, port: number, options: { operationTimeout: number }): SnapshotBackend;
}

/** A complete record with every field set; `overrides` replace fields. */
export function makeRecord(overrides: Partial<TaskRecord> = {}): TaskRecord {
  const createdAt = overrides.createdAt ?? Date.now();
  return {
    id: newTaskId(createdAt),
    name: 'conformance.task',
    queue: 'default',
    priority: 0,
    tags: {},
    args: [],
    status: 'pending',
    attempt: 0,
    maxAttempts: 1,
    createdAt,
    startedAt: null,
    finishedAt: null,
    duration: null,
    runAt: createdAt,
    expiresAt: null,
    error: null,
    stack: null,
    logs: [],
    progress: null,
    result: null,
    idempotencyKey: null,
    owner: 'instance-a',
    requeueOnInterrupt: false,
    cancelRequested: false,
    headers: {},
    ...overrides,
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Resolves once the manager runs, queues and delays no task. `settleMs`
 * then leaves time for listeners' own async work (a scheduler recording an
 * outcome, say).
 */
export async function waitForIdle(manager: TaskManager, timeoutMs = 10_000, settleMs = 0): Promise<void> {
  await waitFor(
    () => {
      const stats = manager.stats();
      return stats.running + stats.queued + stats.delayed === 0;
    },
    timeoutMs,
    'the manager to go idle',
  );
  if (settleMs > 0) await sleep(settleMs);
}
