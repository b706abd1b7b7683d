import { type ManagerOptions, TaskManager } from '../index.js';
import type { ConformanceStore, ConformanceTarget } from './fixtures.js';
import type { TestApi } from './test-api.js';

/** Quick leases and wake-ups, so that takeovers and claims happen within a test's patience. */
export const FAST_FLEET = { leaseTtl: 2000, heartbeatInterval: 100, takeoverInterval: 200, pollInterval: 50 };

/** One isolated store per test, and managers on it that are stopped after the test. */
export interface ManagerHarness {
  /** The store of the running test (`store.connect()` for a backend of one's own). */
  readonly store: ConformanceStore;
  /** A new manager on its own backend of the store, quiet, with `defaults` under `options`. */
  manager(options?: ManagerOptions): TaskManager;
}

/** Registers the set-up and tear-down around each test of the enclosing `describe`. */
export function useManagers(
  target: ConformanceTarget,
  t: TestApi,
  defaults: ManagerOptions = {},
): ManagerHarness {
  let store: ConformanceStore | null = null;
  const managers: TaskManager[] = [];
  t.beforeEach(async () => {
    store = await target.setup();
  });
  t.afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.stop({ timeout: 0 }).catch(() => {})));
    await store?.teardown();
    store = null;
  });
  const harness: ManagerHarness = {
    get store() {
      if (!store) throw new Error('no store: use the harness inside a test');
      return store;
    },
    manager(options = {}) {
      const created = new TaskManager({
        backend: harness.store.connect(),
        logger: false,
        ...defaults,
        ...options,
      });
      managers.push(created);
      return created;
    },
  };
  return harness;
}
