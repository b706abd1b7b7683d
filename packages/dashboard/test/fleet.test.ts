import { TaskManager } from '@errand/core';
import { waitFor } from '@errand/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../src/index.js';
import { readEvents } from './sse.js';
import { type OpenedStore, STORES } from './stores.js';

/**
 * Two instances on one store: the dashboard mounted in one shows the other's
 * tasks in its list and, by polling the store, in its event stream.
 */
describe.each(STORES.filter((store) => store.name !== 'memory'))('the fleet on $name', (target) => {
  let store: OpenedStore | null = null;
  let here: TaskManager;
  let there: TaskManager;

  beforeAll(async () => {
    if (!(await target.available())) return;
    store = await target.open();
    here = new TaskManager({ backend: store.backend, logger: false, snapshotInterval: 50 });
    there = new TaskManager({ backend: store.sibling(), logger: false, snapshotInterval: 50 });
    there.define('remote', async (_ctx, n: number) => n * 2);
    await here.start();
    await there.start();
  });

  afterAll(async () => {
    await there?.stop({ timeout: 500 });
    await here?.stop({ timeout: 500 });
    await store?.cleanup();
  });

  it("shows another instance's tasks, live and in history", async (context) => {
    if (!store) return context.skip();
    const dashboard = createDashboard({ manager: here, authorize: () => true, pollInterval: 200 });
    const stream = await dashboard.fetch(new Request('http://x/api/events'));
    let id = '';
    const reading = readEvents(
      stream,
      (events) =>
        events.some((e) => e.event === 'task' && e.data.includes(id) && e.data.includes('"success"')),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 400)); // the first poll learns the current state
    id = await there.enqueue('remote', [21]);
    const { events } = await reading;
    const last = events.filter((e) => e.event === 'task' && e.data.includes(id)).at(-1)!;
    expect(JSON.parse(last.data)).toMatchObject({
      id,
      status: 'success',
      source: 'store',
      owner: there.instanceId,
    });
    await waitFor(async () => (await here.get(id))?.status === 'success', 5000, 'the store to hold it');
    const list = await (await dashboard.fetch(new Request('http://x/api/tasks?name=remote'))).json();
    expect(list.records.map((r: { id: string }) => r.id)).toEqual([id]);
    const overview = await (await dashboard.fetch(new Request('http://x/api/overview'))).json();
    expect(overview.instances.map((i: { id: string }) => i.id).sort()).toEqual(
      [here.instanceId, there.instanceId].sort(),
    );
    expect(overview.backend).toEqual({ name: target.name, healthy: true });
    dashboard.close();
  });
});
