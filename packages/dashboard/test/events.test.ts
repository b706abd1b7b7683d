import { MemoryBackend, TaskManager } from '@errand/core';
import { waitFor } from '@errand/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventHub, HEARTBEAT_MS } from '../src/live/event-hub.js';
import { resolveOptions } from '../src/options.js';
import { createDashboard, type Fixture, openOptions, startFixture } from './fixture.js';
import { readEvents, type SseEvent } from './sse.js';

const url = (path: string) => `http://dashboard.test/tasks/dashboard${path}`;
const taskEvents = (events: SseEvent[], id: string) =>
  events.filter((e) => e.event === 'task' && JSON.parse(e.data).id === id);

describe('the event stream', () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await startFixture();
  });
  afterAll(() => fixture?.stop());
  afterEach(() => vi.useRealTimers());

  it('replays what a client missed after Last-Event-ID, and says reset when it cannot', async () => {
    const dashboard = createDashboard(openOptions(fixture));
    // A first client keeps the hub listening while the second one is away.
    const keeper = await dashboard.fetch(new Request(url('/api/events')));
    const first = await dashboard.fetch(new Request(url('/api/events')));
    const a = await fixture.manager.enqueue('echo', ['a']);
    const seen = await readEvents(first, (events) => taskEvents(events, a).length === 3);
    const lastId = taskEvents(seen.events, a).at(-1)!.id!;
    const b = await fixture.manager.enqueue('echo', ['b']);
    await waitFor(async () => (await fixture.manager.get(b))?.status === 'success', 5000, 'b');
    await new Promise((resolve) => setTimeout(resolve, 200)); // past one batch
    const resumed = await dashboard.fetch(
      new Request(url('/api/events'), { headers: { 'last-event-id': lastId } }),
    );
    const replay = await readEvents(resumed, (events) => taskEvents(events, b).length === 3);
    expect(taskEvents(replay.events, b).map((e) => JSON.parse(e.data).status)).toEqual([
      'pending',
      'running',
      'success',
    ]);
    expect(taskEvents(replay.events, a)).toEqual([]);

    const stranger = await dashboard.fetch(
      new Request(url('/api/events'), { headers: { 'last-event-id': 'other-process-7' } }),
    );
    const reset = await readEvents(stranger, (events) => events.some((e) => e.event === 'reset'));
    expect(reset.events.map((e) => e.event)).toContain('reset');
    await keeper.body?.cancel();
    dashboard.close();
  });

  it('sends a heartbeat comment and event every 15 s', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const hub = new EventHub(resolveOptions(openOptions(fixture)));
    const stream = hub.open(null);
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toContain('event: hello');
    vi.advanceTimersByTime(HEARTBEAT_MS);
    const beat = decoder.decode((await reader.read()).value);
    expect(beat).toMatch(/^: heartbeat\n\nevent: heartbeat\ndata: \{"now":\d+\}\n\n$/);
    await reader.cancel();
    expect(hub.clientCount).toBe(0);
  });

  it('stops listening to the manager when the last client leaves', async () => {
    const hub = new EventHub(resolveOptions(openOptions(fixture)));
    const stream = hub.open(null);
    expect(hub.clientCount).toBe(1);
    await stream.cancel();
    expect(hub.clientCount).toBe(0);
    const id = await fixture.manager.enqueue('echo', ['nobody listens']);
    await waitFor(async () => (await fixture.manager.get(id))?.status === 'success', 5000, 'echo');
  });

  it("shows other instances' changes by polling the shared store", async () => {
    const store = new MemoryBackend();
    const other = new TaskManager({
      backend: new MemoryBackend({ sharedWith: store }),
      logger: false,
      snapshotInterval: 20,
    });
    other.define('remote', async (_ctx, n: number) => n * 2);
    await other.start();
    try {
      // A dashboard on another manager of the same store: it hears no event of `other`.
      const local = new TaskManager({ backend: new MemoryBackend({ sharedWith: store }), logger: false });
      await local.start();
      const fleet = createDashboard({ manager: local, authorize: () => true, pollInterval: 100 });
      const response = await fleet.fetch(new Request('http://x/api/events'));
      let id = '';
      const reading = readEvents(
        response,
        (events) => taskEvents(events, id).some((e) => JSON.parse(e.data).status === 'success'),
        5000,
      );
      await new Promise((resolve) => setTimeout(resolve, 250)); // the first poll learns the current state
      id = await other.enqueue('remote', [21]);
      const { events } = await reading;
      const seen = taskEvents(events, id).map((e) => JSON.parse(e.data));
      expect(seen.at(-1)).toMatchObject({ status: 'success', source: 'store', owner: other.instanceId });
      const list = await (await fleet.fetch(new Request('http://x/api/tasks'))).json();
      expect(list.records.map((r: { id: string }) => r.id)).toContain(id);
      fleet.close();
      await local.stop({ timeout: 100 });
    } finally {
      await other.stop({ timeout: 100 });
    }
  });
});

describe('HEAD', () => {
  it('answers the headers of a GET, without a body', async () => {
    const fixture = await startFixture();
    try {
      const dashboard = createDashboard(openOptions(fixture));
      const head = await dashboard.fetch(new Request(url('/api/events'), { method: 'HEAD' }));
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toContain('text/event-stream');
      expect(head.body).toBeNull();
      const page = await dashboard.fetch(new Request(url('/'), { method: 'HEAD' }));
      expect(page.headers.get('content-security-policy')).toContain('nonce-');
      // A GET after it streams as usual.
      const get = await dashboard.fetch(new Request(url('/api/events')));
      const id = await fixture.manager.enqueue('echo', ['after head']);
      const { events } = await readEvents(get, (all) => taskEvents(all, id).length === 3);
      expect(taskEvents(events, id)).toHaveLength(3);
      dashboard.close();
    } finally {
      await fixture.stop();
    }
  });
});
