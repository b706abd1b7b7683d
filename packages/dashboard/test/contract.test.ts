import { waitFor } from '@errand/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, type Dashboard } from '../src/index.js';
import { createDashboard, type Fixture, openOptions, startFixture, XSS } from './fixture.js';
import { ADAPTERS, type Mounted } from './servers.js';
import { readEvents } from './sse.js';
import { type OpenedStore, STORES } from './stores.js';

const BASE = '/tasks/dashboard';

const available = await Promise.all(STORES.map((store) => store.available()));
const CASES = STORES.filter((_, i) => available[i]).flatMap((store) =>
  Object.keys(ADAPTERS).map((adapter) => ({ store, adapter })),
);

/**
 * The same requests through every way of mounting the dashboard (the Web
 * `fetch` handler itself, node:http, Express, Fastify and Hono), on memory,
 * SQLite and PostgreSQL.
 */
describe.each(CASES)('contract on $store.name through $adapter', ({ store, adapter }) => {
  let opened: OpenedStore;
  let fixture: Fixture;
  let open: Mounted;
  let closed: Mounted;
  let basic: Mounted;
  const dashboards: Dashboard[] = [];
  const same = () => ({ 'sec-fetch-site': 'same-origin' });
  const api = (path: string, init?: RequestInit) => open.send(`${BASE}/api${path}`, init);
  const post = (path: string, body?: unknown) =>
    api(path, {
      method: 'POST',
      headers: { ...same(), 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
  const finished = (id: string) =>
    waitFor(
      async () => !['pending', 'running'].includes((await fixture.manager.get(id))?.status ?? 'pending'),
      5000,
      `task ${id}`,
    );

  beforeAll(async () => {
    opened = await store.open();
    fixture = await startFixture(opened.backend);
    const make = (extra: Parameters<typeof openOptions>[1]) => {
      const dashboard = createDashboard(openOptions(fixture, extra));
      dashboards.push(dashboard);
      return ADAPTERS[adapter]!(dashboard);
    };
    open = await make({});
    closed = await make({ authorize: undefined });
    basic = await make({ authorize: basicAuth({ username: 'ops', password: 's3cret' }) });
  });

  afterAll(async () => {
    for (const dashboard of dashboards) dashboard.close();
    await Promise.all([open?.close(), closed?.close(), basic?.close()]);
    await fixture?.stop();
    await opened?.cleanup();
  });

  it('is closed without authorize: 403 page with instructions, 403 JSON on the API and the stream', async () => {
    const page = await closed.send(`${BASE}/`);
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('authorize');
    for (const path of ['/api/overview', '/api/tasks', '/api/events', '/api/jobs']) {
      const response = await closed.send(`${BASE}${path}`);
      expect(response.status, path).toBe(403);
      expect(await response.json()).toMatchObject({ error: 'ERR_DASHBOARD_CLOSED' });
    }
  });

  it('asks for Basic credentials (401 + WWW-Authenticate) and accepts the right ones only', async () => {
    const none = await basic.send(`${BASE}/api/overview`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const wrong = await basic.send(`${BASE}/api/overview`, {
      headers: { authorization: `Basic ${Buffer.from('ops:nope').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
    const right = await basic.send(`${BASE}/api/overview`, {
      headers: { authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}` },
    });
    expect(right.status).toBe(200);
  });

  it('serves the page with its assets inline under a nonce CSP', async () => {
    const response = await open.send(`${BASE}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    // No other origin is referenced: no script or style file, no CDN, no web font.
    expect(html).not.toMatch(/<script src=|<link rel="stylesheet"|@import|@font-face|url\(https?:/);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('answers the overview', async () => {
    const body = await (await api('/overview')).json();
    expect(Object.keys(body.counts)).toContain('success');
    expect(body.throughput).toMatchObject({ perMinute: expect.any(Number) });
    expect(body).toHaveProperty('oldestPendingAgeMs');
    expect(body.instances[0]).toMatchObject({ id: fixture.manager.instanceId, health: 'live' });
    expect(body.backend).toEqual({ name: store.name, healthy: true });
    expect(body.alerts).toEqual([]);
  });

  it('lists, filters, searches and pages tasks; rejects bad filters with 400', async () => {
    const ok = await fixture.manager.enqueue('echo', [`hello ${adapter}`]);
    const bad = await fixture.manager.enqueue('boom', [`kaput-${adapter} ${XSS}`]);
    await finished(ok);
    await finished(bad);
    const failed = await (await api(`/tasks?status=failed`)).json();
    expect(failed.records.map((r: { id: string }) => r.id)).toContain(bad);
    expect(failed.records.every((r: { status: string }) => r.status === 'failed')).toBe(true);
    expect(failed.records[0]).not.toHaveProperty('args');
    const byName = await (await api('/tasks?name=echo')).json();
    expect(byName.records.every((r: { name: string }) => r.name === 'echo')).toBe(true);
    const byError = await (await api(`/tasks?q=${encodeURIComponent(`KAPUT-${adapter}`)}`)).json();
    expect(byError.records.map((r: { id: string }) => r.id)).toEqual([bad]);
    const byId = await (await api(`/tasks?q=${ok}`)).json();
    expect(byId.records.map((r: { id: string }) => r.id)).toEqual([ok]);
    const byPartialName = await (await api('/tasks?q=ech&limit=200')).json();
    expect(byPartialName.records.map((r: { id: string }) => r.id)).toContain(ok);
    const first = await (await api('/tasks?limit=1')).json();
    expect(first.records).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await (await api(`/tasks?limit=1&cursor=${first.nextCursor}`)).json();
    expect(second.records[0].id).not.toBe(first.records[0].id);
    for (const query of ['status=done', 'limit=0', 'limit=abc', 'cursor=zzz', 'since=yesterday']) {
      const response = await api(`/tasks?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'ERR_BAD_REQUEST', message: expect.any(String) });
    }
  });

  it('shows one task (404 when unknown), without args by default', async () => {
    const id = await fixture.manager.enqueue('boom', ['detail please']);
    await finished(id);
    const detail = await (await api(`/tasks/${id}`)).json();
    expect(detail).toMatchObject({ id, name: 'boom', status: 'failed', error: 'detail please' });
    expect(detail.stack).toContain('detail please');
    expect(detail.logs[0].message).toContain('about to fail');
    expect(detail.attempts).toHaveLength(1);
    expect(detail).not.toHaveProperty('args');
    const missing = await api('/tasks/no-such-task');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'ERR_TASK_NOT_FOUND' });
  });

  it('lists every attempt of a task: when each ran, where, and how it failed', async () => {
    const id = await fixture.manager.enqueue('flaky', ['a']);
    await finished(id);
    const detail = await (await api(`/tasks/${id}`)).json();
    expect(detail.attempts.map((a: { number: number; error: string | null }) => [a.number, a.error])).toEqual(
      [
        [1, 'flaky a try 1'],
        [2, 'flaky a try 2'],
        [3, null],
      ],
    );
    for (const attempt of detail.attempts) {
      expect(attempt.instance).toBe(fixture.manager.instanceId);
      expect(attempt.startedAt).toBeTypeOf('number');
      expect(attempt.finishedAt).toBeGreaterThanOrEqual(attempt.startedAt);
      expect(attempt.duration).toBe(attempt.finishedAt - attempt.startedAt);
    }
  });

  it('retries and cancels, 409 when the state does not allow it, 403 across origins', async () => {
    const id = await fixture.manager.enqueue('boom', ['retry me']);
    await finished(id);
    const crossSite = await api(`/tasks/${id}/retry`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: 'ERR_CROSS_ORIGIN' });
    const foreign = await api(`/tasks/${id}/retry`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const retried = await api(`/tasks/${id}/retry`, { method: 'POST', headers: { origin: open.origin } });
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ ok: true });
    await finished(id);
    const ok = await fixture.manager.enqueue('echo', ['fine']);
    await finished(ok);
    const again = await post(`/tasks/${ok}/retry`);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'ERR_INVALID_STATE' });
    expect((await post('/tasks/nope/retry')).status).toBe(404);

    const held = await fixture.manager.enqueue('gate', [`cancel-${adapter}`]);
    const cancelled = await post(`/tasks/${held}/cancel`);
    expect(cancelled.status).toBe(200);
    await finished(held);
    expect((await fixture.manager.get(held))?.status).toBe('cancelled');
    const twice = await post(`/tasks/${held}/cancel`);
    expect(twice.status).toBe(409);
    expect((await post('/tasks/nope/cancel')).status).toBe(404);
    const log = fixture.logger.lines.filter(
      (line) => line.fields?.action === 'retry' && line.fields?.taskId === id,
    );
    expect(log[0]?.fields).toMatchObject({ who: 'anonymous', action: 'retry', taskId: id });
  });

  it('runs bulk actions by ids and by filter, within the limit', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await fixture.manager.enqueue('boom', [`bulk-${adapter}-${i}`]));
    for (const id of ids) await finished(id);
    const byIds = await (await post('/tasks/bulk', { action: 'retry', ids: ids.slice(0, 2) })).json();
    expect(byIds).toMatchObject({ matched: 2, done: 2 });
    for (const id of ids) await finished(id);
    // The API reads the store, which the manager writes just after a task finishes.
    await waitFor(
      async () => (await fixture.manager.query({ errorContains: `bulk-${adapter}` })).records.length === 3,
      5000,
      'the failed retries in the store',
    );
    const byFilter = await (
      await post('/tasks/bulk', { action: 'retry', filter: { q: `bulk-${adapter}` } })
    ).json();
    expect(byFilter).toMatchObject({ matched: 3, done: 3, truncated: false });
    expect((await post('/tasks/bulk', { action: 'explode', ids })).status).toBe(400);
    expect((await post('/tasks/bulk', { action: 'retry' })).status).toBe(400);
    expect(
      (await post('/tasks/bulk', { action: 'retry', ids: Array.from({ length: 501 }, (_, i) => `x${i}`) }))
        .status,
    ).toBe(400);
    for (const id of ids) await finished(id);
  });

  it('lists jobs in words and pauses, resumes and runs them', async () => {
    const jobs = await (await api('/jobs')).json();
    const nightly = jobs.find((job: { id: string }) => job.id === 'nightly_backup');
    expect(nightly).toMatchObject({
      schedule: 'Daily at 2:00 AM UTC',
      timezone: 'UTC',
      paused: false,
      orphaned: false,
    });
    expect(nightly.nextRunAt).toEqual(expect.any(Number));
    expect(nightly.nextRunIn).toMatch(/^in /);
    expect((await post('/jobs/cleanup/pause')).status).toBe(200);
    expect(
      (await (await api('/jobs')).json()).find((job: { id: string }) => job.id === 'cleanup').paused,
    ).toBe(true);
    expect((await post('/jobs/cleanup/resume')).status).toBe(200);
    const run = await (await post('/jobs/cleanup/run')).json();
    expect(run).toMatchObject({ ok: true, taskId: expect.any(String) });
    await finished(run.taskId);
    const runs = await (await api('/tasks?tag=job:cleanup,trigger:manual')).json();
    expect(runs.records.map((r: { id: string }) => r.id)).toEqual([run.taskId]);
    expect(runs.records[0].tags).toEqual({ job: 'cleanup', trigger: 'manual' });
    expect((await api('/tasks?tag=nocolon')).status).toBe(400);
    const listed = (await (await api('/jobs')).json()).find((job: { id: string }) => job.id === 'cleanup');
    expect(listed).toMatchObject({ missedRuns: 0, skippedRuns: 0 });
    expect((await post('/jobs/nope/run')).status).toBe(404);
    expect((await post('/jobs/cleanup/explode')).status).toBe(404);
  });

  it('answers instances and series; 400 on an unknown window', async () => {
    const instances = await (await api('/instances')).json();
    expect(instances[0]).toMatchObject({ id: fixture.manager.instanceId, health: 'live' });
    const series = await (await api('/series?window=1h')).json();
    expect(series.bucketMs).toBe(60_000);
    expect(series.buckets).toHaveLength(60);
    expect(series.buckets.at(-1)).toMatchObject({ start: expect.any(Number), success: expect.any(Number) });
    expect(series.durations.find((d: { name: string }) => d.name === 'echo')).toMatchObject({
      count: expect.any(Number),
    });
    expect((await api('/series?window=2h')).status).toBe(400);
  });

  it('streams task events with ids', async () => {
    const response = await api('/events');
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const key = `sse-${adapter}`;
    let id = '';
    const reading = readEvents(response, (events) =>
      events.some(
        (e) => e.event === 'task' && JSON.parse(e.data).id === id && JSON.parse(e.data).status === 'success',
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    id = await fixture.manager.enqueue('gate', [key]);
    setTimeout(() => fixture.gates.release(key), 100);
    const { events } = await reading;
    const mine = events.filter((e) => e.event === 'task' && JSON.parse(e.data).id === id);
    expect(mine.map((e) => JSON.parse(e.data).status)).toEqual(['pending', 'running', 'success']);
    expect(mine.every((e) => /^[\w-]+-\d+$/.test(e.id ?? ''))).toBe(true);
    expect(events[0]?.event).toBe('hello');
  });

  it('answers 404 and 405 as JSON', async () => {
    const missing = await api('/nothing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'ERR_NOT_FOUND' });
    const wrongMethod = await api('/overview', { method: 'POST', headers: same() });
    expect(wrongMethod.status).toBe(405);
  });
});
