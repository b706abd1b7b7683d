import { MemoryBackend, TaskManager } from '@errand/core';
import { waitFor } from '@errand/core/testing';
import { expect, it } from 'vitest';
import { createDashboard } from '../src/index.js';

it("lists this instance's tasks before they reach the store", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const backend = new MemoryBackend();
  // Nothing is flushed for a minute: only memory knows the running task.
  const manager = new TaskManager({ backend, logger: false, snapshotInterval: 60_000 });
  manager.define('hold', async () => held);
  await manager.start();
  try {
    const dashboard = createDashboard({ manager, authorize: () => true });
    const id = await manager.enqueue('hold');
    await waitFor(
      () => manager.list().records.some((r) => r.id === id && r.status === 'running'),
      2000,
      'running',
    );
    expect((await manager.query()).records.map((r) => r.id)).not.toContain(id);
    const page = await (await dashboard.fetch(new Request('http://x/api/tasks'))).json();
    expect(page.records.find((r: { id: string }) => r.id === id)).toMatchObject({ status: 'running' });
    const running = await (await dashboard.fetch(new Request('http://x/api/tasks?status=running'))).json();
    expect(running.records.map((r: { id: string }) => r.id)).toEqual([id]);
    dashboard.close();
  } finally {
    release();
    await manager.stop({ timeout: 1000 });
  }
});

it("counts this instance's unflushed running tasks in the overview", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const manager = new TaskManager({ backend: new MemoryBackend(), logger: false, snapshotInterval: 60_000 });
  manager.define('hold', async () => held);
  await manager.start();
  try {
    const dashboard = createDashboard({ manager, authorize: () => true });
    await manager.enqueue('hold');
    await manager.enqueue('hold');
    await waitFor(() => manager.stats().running === 2, 2000, 'two running');
    expect((await manager.overview()).counts.running).toBe(2);
    const overview = await (await dashboard.fetch(new Request('http://x/api/overview'))).json();
    expect(overview.counts.running).toBe(2);
    dashboard.close();
  } finally {
    release();
    await manager.stop({ timeout: 1000 });
  }
});
