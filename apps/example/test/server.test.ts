import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '../src/health.js';

const serverPath = fileURLToPath(new URL('../dist/server.js', import.meta.url));
let dir: string;
let dbPath: string;

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts the built server as a real process on a free port. */
async function startServer(): Promise<Server> {
  const child = spawn(process.execPath, [serverPath], {
    env: { ...process.env, PORT: '0', ERRAND_DB: dbPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 15_000);
    child.stdout!.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

async function stopServer(server: Server): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => server.child.on('exit', resolve));
  server.child.kill('SIGTERM');
  return exited;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function waitForStatus(url: string, id: string, status: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const task = (await (await fetch(`${url}/tasks/${id}`)).json()) as Record<string, unknown>;
    if (task.status === status) return task;
    if (Date.now() > deadline) throw new Error(`task ${id} is ${String(task.status)}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function getHealth(url: string): Promise<HealthReport> {
  return (await (await fetch(`${url}/health`)).json()) as HealthReport;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'errand-example-'));
  dbPath = join(dir, 'tasks.db');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the example server', () => {
  it('runs tasks from routes, stores them in SQLite and keeps history across a clean restart', async () => {
    const first = await startServer();
    const signup = await post(`${first.url}/signup`, { email: 'flaky@example.com' });
    expect(signup.status).toBe(202);
    const again = await post(`${first.url}/signup`, { email: 'flaky@example.com' });
    expect(again.json.id).toBe(signup.json.id);
    const report = await post(`${first.url}/reports`, { month: '2026-10' });
    expect((await post(`${first.url}/reports`, { month: 'October' })).status).toBe(400);

    const email = await waitForStatus(first.url, signup.json.id as string, 'success');
    expect(email).toMatchObject({ attempt: 2, result: { delivered: true, to: 'flaky@example.com' } });
    await waitForStatus(first.url, report.json.id as string, 'success');
    const health = await getHealth(first.url);
    expect(health).toMatchObject({
      healthy: true,
      state: 'running',
      backend: { name: 'sqlite', healthy: true, lastError: null },
    });
    expect(Object.keys(health.stored.totals ?? {}).sort()).toEqual(
      ['cancelled', 'expired', 'failed', 'interrupted', 'pending', 'rejected', 'running', 'success'].sort(),
    );
    const jobs = (await (await fetch(`${first.url}/jobs`)).json()) as Array<{ id: string; schedule: string }>;
    expect(jobs.map((job) => `${job.id}: ${job.schedule}`)).toEqual([
      'cleanup_temp: Every 6 hours',
      'database_backup: Daily at 2:00 AM UTC',
      'report_gen: Weekly on Monday at 9:00 AM Europe/Berlin',
    ]);
    const manual = await post(`${first.url}/jobs/report_gen/run`, {});
    expect((await waitForStatus(first.url, manual.json.id as string, 'success')).args).toEqual(['weekly']);

    expect(await stopServer(first)).toBe(0);
    expect(first.output()).toContain('stopped cleanly');

    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare('SELECT name, status, attempt FROM errand_tasks ORDER BY name').all();
    db.close();
    expect(rows).toEqual([
      { name: 'buildReport', status: 'success', attempt: 1 },
      { name: 'buildReport', status: 'success', attempt: 1 },
      { name: 'sendWelcomeEmail', status: 'success', attempt: 2 },
    ]);

    const second = await startServer();
    try {
      const history = (await (await fetch(`${second.url}/tasks?status=success`)).json()) as {
        records: Array<{ id: string }>;
      };
      expect(history.records.map((record) => record.id).sort()).toEqual(
        [signup.json.id, report.json.id, manual.json.id].sort(),
      );
      const missing = await fetch(`${second.url}/tasks/00000000-0000-7000-8000-000000000000`);
      expect(missing.status).toBe(404);
    } finally {
      expect(await stopServer(second)).toBe(0);
    }
  });

  it('mounts the dashboard at /tasks/dashboard behind the demo login', async () => {
    const server = await startServer();
    try {
      const base = `${server.url}/tasks/dashboard`;
      const anonymous = await fetch(`${base}/api/overview`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
      const authorization = `Basic ${Buffer.from('demo:errand-demo').toString('base64')}`;
      const page = await fetch(`${base}/`, { headers: { authorization } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain('nonce-');
      const signup = await post(`${server.url}/signup`, { email: 'dash@example.com' });
      await waitForStatus(server.url, signup.json.id as string, 'success');
      const tasks = (await (
        await fetch(`${base}/api/tasks?name=sendWelcomeEmail`, { headers: { authorization } })
      ).json()) as {
        records: Array<{ id: string; status: string }>;
      };
      expect(tasks.records.map((record) => record.id)).toContain(signup.json.id);
      const jobs = (await (await fetch(`${base}/api/jobs`, { headers: { authorization } })).json()) as Array<{
        id: string;
      }>;
      expect(jobs.map((job) => job.id)).toContain('database_backup');
      expect(server.output()).toContain('dashboard: http://');
    } finally {
      expect(await stopServer(server)).toBe(0);
    }
  });

  it('answers /health with what runs now and what the store holds, each under its own name', async () => {
    const server = await startServer();
    try {
      const before = (await getHealth(server.url)).stored.totals!;
      // A report runs for ~200 ms: long enough to be seen running.
      const report = await post(`${server.url}/reports`, { month: '2026-11' });
      const during = await getHealth(server.url);
      expect(during.live).toEqual({ running: 1, queued: 0, delayed: 0 });
      await waitForStatus(server.url, report.json.id as string, 'success');
      // A success is written at once; the stored totals catch up within a write.
      const deadline = Date.now() + 5_000;
      let after = await getHealth(server.url);
      while (after.stored.totals!.success === before.success && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        after = await getHealth(server.url);
      }
      expect(after.live).toEqual({ running: 0, queued: 0, delayed: 0 });
      expect(after.stored).toMatchObject({
        unflushed: 0,
        totals: { success: before.success + 1, running: 0 },
      });
      expect(Date.parse(after.stored.lastWriteAt!)).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      expect(await stopServer(server)).toBe(0);
    }
  });

  it('on SIGTERM lets running tasks finish, saves queued ones, and runs those at the next start', async () => {
    const server = await startServer();
    const reports = await Promise.all(
      ['2026-01', '2026-02', '2026-03'].map((month) => post(`${server.url}/reports`, { month })),
    );
    // Reports take ~200 ms and run two at a time; stop at once, while two run and one waits.
    expect(await stopServer(server)).toBe(0);
    const db = new Database(dbPath, { readonly: true });
    const read = db.prepare('SELECT status FROM errand_tasks WHERE id = ?').pluck();
    const statuses = reports.map(({ json }) => read.get(json.id));
    db.close();
    expect(statuses.slice().sort()).toEqual(['pending', 'success', 'success']);
    const waiting = reports[statuses.indexOf('pending')]!.json.id as string;

    const next = await startServer();
    try {
      const third = await waitForStatus(next.url, waiting, 'success');
      expect(third).toMatchObject({ progress: 100, result: { rows: 42 } });
    } finally {
      expect(await stopServer(next)).toBe(0);
    }
  });
});
