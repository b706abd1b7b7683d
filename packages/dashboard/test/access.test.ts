import { waitFor } from '@errand/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, type DashboardOptions } from '../src/index.js';
import { createDashboard, type Fixture, openOptions, startFixture } from './fixture.js';
import { readEvents } from './sse.js';

const ORIGIN = 'http://dashboard.test';
const BASE = '/tasks/dashboard';

describe('access, capabilities and what a viewer sees', () => {
  let fixture: Fixture;
  let failedId: string;

  beforeAll(async () => {
    fixture = await startFixture();
    failedId = await fixture.manager.enqueue('boom', ['token=abc123 leaked']);
    await waitFor(
      async () => (await fixture.manager.get(failedId))?.status === 'failed',
      5000,
      'the failure',
    );
  });
  afterAll(() => fixture?.stop());

  function client(extra: Partial<DashboardOptions>) {
    const dashboard = createDashboard(openOptions(fixture, extra));
    const send = (path: string, init: RequestInit = {}) =>
      dashboard.fetch(new Request(`${ORIGIN}${BASE}${path}`, init));
    const post = (path: string, body: unknown = {}) =>
      send(path, {
        method: 'POST',
        headers: { 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    return { dashboard, send, post };
  }

  it('enforces capabilities on the server, whatever the page shows', async () => {
    const reader = client({ authorize: () => ['read'] });
    expect((await reader.send('/api/overview')).status).toBe(200);
    const retry = await reader.post(`/api/tasks/${failedId}/retry`);
    expect(retry.status).toBe(403);
    expect(await retry.json()).toMatchObject({ error: 'ERR_FORBIDDEN' });
    expect((await reader.post(`/api/tasks/${failedId}/cancel`)).status).toBe(403);
    expect((await reader.post('/api/jobs/cleanup/pause')).status).toBe(403);
    expect((await reader.post('/api/tasks/bulk', { action: 'retry', ids: [failedId] })).status).toBe(403);
    const html = await (await reader.send('/')).text();
    expect(html).toContain('"capabilities":["read"]');

    const canceller = client({ authorize: async () => ['read', 'cancel'] });
    expect((await canceller.post('/api/tasks/bulk', { action: 'retry', ids: [failedId] })).status).toBe(403);
    expect((await canceller.post(`/api/tasks/${failedId}/cancel`)).status).toBe(409);

    const noRead = client({ authorize: () => ['retry'] });
    expect((await noRead.send('/api/tasks')).status).toBe(403);
    expect((await noRead.post(`/api/tasks/${failedId}/retry`)).status).toBe(403);
  });

  it('refuses when authorize refuses or throws, and logs the throw', async () => {
    expect((await client({ authorize: () => false }).send('/api/tasks')).status).toBe(403);
    const page = await client({ authorize: () => false }).send('/');
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toContain('text/html');
    const before = fixture.logger.lines.length;
    const thrower = client({
      authorize: () => {
        throw new Error('session store down');
      },
    });
    expect((await thrower.send('/api/tasks')).status).toBe(403);
    expect(fixture.logger.lines.slice(before).some((line) => line.message.includes('authorize threw'))).toBe(
      true,
    );
  });

  it('names the Basic user in the action log and grants what basicAuth was given', async () => {
    const auth = basicAuth({ username: 'ops', password: 'pw', capabilities: ['read', 'retry'] });
    const { send } = client({ authorize: auth });
    const headers = {
      authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}`,
      'sec-fetch-site': 'same-origin',
    };
    const before = fixture.logger.lines.length;
    expect((await send(`/api/tasks/${failedId}/retry`, { method: 'POST', headers })).status).toBe(200);
    expect((await send(`/api/tasks/${failedId}/cancel`, { method: 'POST', headers })).status).toBe(403);
    const line = fixture.logger.lines.slice(before).find((l) => l.fields?.action === 'retry');
    expect(line).toMatchObject({ level: 'info', fields: { who: 'ops', action: 'retry', taskId: failedId } });
    // Wait for the store too: the next test cancels it, and cancel() asks the store about a task it no longer runs.
    await waitFor(
      async () => (await fixture.manager.backend!.get(failedId))?.status === 'failed',
      5000,
      'the retry to fail, in the store',
    );
    expect(() => basicAuth({ username: '', password: 'x' })).toThrow(/username/);
    expect(() => basicAuth({ username: 'a', password: '' })).toThrow(/password/);
  });

  it('accepts actions from allowedOrigins only besides its own origin', async () => {
    const { send } = client({ allowedOrigins: ['https://ops.example.com/'] });
    const from = (origin: string) =>
      send(`/api/tasks/${failedId}/cancel`, { method: 'POST', headers: { origin } });
    expect((await from('https://ops.example.com')).status).toBe(409); // Past the origin check: the task is finished.
    expect((await from('https://evil.example.com')).status).toBe(403);
    expect((await from('null')).status).toBe(403);
    expect((await send(`/api/tasks/${failedId}/cancel`, { method: 'POST' })).status).toBe(403);
  });

  it('shows args and results only with displayArgs, and applies redact everywhere', async () => {
    const id = await fixture.manager.enqueue('echo', ['secret-arg']);
    await waitFor(async () => (await fixture.manager.get(id))?.status === 'success', 5000, 'echo');
    const hidden = await (await client({}).send(`/api/tasks/${id}`)).json();
    expect(hidden).not.toHaveProperty('args');
    expect(hidden).not.toHaveProperty('result');
    const shown = await (await client({ displayArgs: true }).send(`/api/tasks/${id}`)).json();
    expect(shown).toMatchObject({ args: ['secret-arg'], result: 'secret-arg' });

    const redact = (record: import('@errand/core').TaskRecord) => ({
      ...record,
      args: record.args.map(() => '[redacted]'),
      error: record.error?.replace(/token=\S+/, 'token=***') ?? null,
    });
    const redacted = client({ displayArgs: true, redact });
    expect((await (await redacted.send(`/api/tasks/${id}`)).json()).args).toEqual(['[redacted]']);
    const detail = await (await redacted.send(`/api/tasks/${failedId}`)).json();
    expect(detail.error).toBe('token=*** leaked');
    const list = await (await redacted.send(`/api/tasks?status=failed`)).json();
    expect(list.records.find((r: { id: string }) => r.id === failedId).error).toBe('token=*** leaked');
    const stream = await redacted.send('/api/events');
    const reading = readEvents(stream, (events) =>
      events.some((e) => e.event === 'task' && e.data.includes(later)),
    );
    const later = await fixture.manager.enqueue('boom', ['token=zzz9 again']);
    const { events } = await reading;
    expect(events.map((e) => e.data).join('')).not.toContain('zzz9');
    redacted.dashboard.close();
  });

  it('keeps connection details out of the page and the API', async () => {
    const { send } = client({});
    const overview = await (await send('/api/overview')).json();
    expect(overview.backend).toEqual({ name: 'memory', healthy: true });
    const page = await (await send('/')).text();
    expect(page).not.toMatch(/postgres:\/\/|redis:\/\/|mysql:\/\/|password/i);
  });

  it('rejects bad options at creation', () => {
    expect(() => createDashboard({} as DashboardOptions)).toThrow(/manager/);
    expect(() => createDashboard(openOptions(fixture, { basePath: 'tasks' }))).toThrow(/basePath/);
    expect(() => createDashboard(openOptions(fixture, { pollInterval: 5 }))).toThrow(/pollInterval/);
  });
});
