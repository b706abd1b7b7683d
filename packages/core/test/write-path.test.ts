import { afterEach, describe, expect, it } from 'vitest';
import {
  type ManagerOptions,
  MemoryBackend,
  TaskManager,
  type TaskRecord,
  type WriteHints,
  type WriteKind,
} from '../src/index.js';
import { waitFor } from '../src/testing/index.js';

const managers: TaskManager[] = [];

function make(options: ManagerOptions): TaskManager {
  const manager = new TaskManager({ logger: false, ...options });
  managers.push(manager);
  return manager;
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
});

type Written = { id: string; status: string; kind: WriteKind | undefined };

/** A MemoryBackend that records every row written with its hint, and whose writes can be held. */
function recording() {
  const backend = new MemoryBackend();
  const rows: Written[][] = [];
  let gate: Promise<void> = Promise.resolve();
  const write = backend.write.bind(backend);
  backend.write = async (records: readonly TaskRecord[], hints?: WriteHints) => {
    rows.push(records.map((r, i) => ({ id: r.id, status: r.status, kind: hints?.kinds?.[i] })));
    await gate;
    return write(records); // the memory store takes no hints
  };
  return {
    backend,
    rows,
    /** Holds the writes that start from now until the returned function is called. */
    hold(): () => void {
      let open = () => {};
      gate = new Promise((resolve) => {
        open = resolve;
      });
      return open;
    },
    of: (id: string) => rows.flat().filter((row) => row.id === id),
  };
}

describe('the durable write path', () => {
  it('stores a task that starts at once running with its acceptance, then its finish as a transition', async () => {
    const store = recording();
    const manager = make({ backend: store.backend, durability: 'durable' });
    const job = manager.define('job', async () => {});
    await manager.start();
    const id = await job.enqueue([]);
    await waitFor(() => store.of(id).some((row) => row.status === 'success'), 2000, 'the finish');
    expect(store.of(id)).toEqual([
      { id, status: 'running', kind: 'insert' },
      { id, status: 'success', kind: 'transition' },
    ]);
  });

  it('starts a task with its acceptance when a slot frees before its write is taken', async () => {
    const store = recording();
    const manager = make({
      backend: store.backend,
      durability: 'durable',
      concurrency: 1,
      maxWritesInFlight: 1,
    });
    const job = manager.define('job', async () => {});
    await manager.start();
    const open = store.hold();
    const first = job.enqueue([]);
    await waitFor(() => store.rows.length === 1, 2000, 'the first write');
    // No slot: the first task holds it while its write is held.
    const second = job.enqueue([]);
    open();
    const [a, b] = await Promise.all([first, second]);
    await waitFor(() => store.of(b).some((row) => row.status === 'success'), 2000, 'the second finish');
    expect(store.of(a)[0]).toEqual({ id: a, status: 'running', kind: 'insert' });
    expect(store.of(b)).toEqual([
      { id: b, status: 'running', kind: 'insert' },
      { id: b, status: 'success', kind: 'transition' },
    ]);
  });
});
