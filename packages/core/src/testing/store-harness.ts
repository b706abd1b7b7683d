import {
  type Logger,
  normalizeQuery,
  type SnapshotBackend,
  type TaskPage,
  type TaskQuery,
  type TaskRecord,
  toPage,
} from '../index.js';
import type { ConformanceStore, ConformanceTarget } from './fixtures.js';
import type { TestApi } from './test-api.js';

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** One isolated store per test, with open backends on it that are closed after the test. */
export interface StoreHarness {
  /** The store of the running test. */
  readonly store: ConformanceStore;
  /** A new, opened backend on the store (closed after the test). */
  connect(): Promise<SnapshotBackend>;
  /** Closes a backend now instead of after the test. */
  close(backend: SnapshotBackend): Promise<void>;
  /** One page of history, as `manager.query()` would make it. */
  page(backend: SnapshotBackend, query: TaskQuery): Promise<TaskPage>;
  /** Every record matching `query`, through every page. */
  all(backend: SnapshotBackend, query?: TaskQuery): Promise<TaskRecord[]>;
}

/** Registers the set-up and tear-down of a store around each test of the enclosing `describe`. */
export function useStore(target: ConformanceTarget, t: TestApi): StoreHarness {
  let store: ConformanceStore | null = null;
  const opened: SnapshotBackend[] = [];
  t.beforeEach(async () => {
    store = await target.setup();
  });
  t.afterEach(async () => {
    await Promise.all(opened.splice(0).map((backend) => backend.close().catch(() => {})));
    await store?.teardown();
    store = null;
  });
  const harness: StoreHarness = {
    get store() {
      if (!store) throw new Error('no store: use the harness inside a test');
      return store;
    },
    async connect() {
      const backend = harness.store.connect();
      await backend.open({ logger: silentLogger });
      opened.push(backend);
      return backend;
    },
    async close(backend) {
      const index = opened.indexOf(backend);
      if (index >= 0) opened.splice(index, 1);
      await backend.close();
    },
    async page(backend, query) {
      const normalized = normalizeQuery(query);
      return toPage(await backend.query(normalized), normalized);
    },
    async all(backend, query = {}) {
      const records: TaskRecord[] = [];
      let cursor: string | undefined;
      do {
        const result = await harness.page(backend, { ...query, limit: 1000, cursor });
        records.push(...result.records);
        cursor = result.nextCursor ?? undefined;
      } while (cursor);
      return records;
    },
  };
  return harness;
}
