import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errand, Worker, type WorkerEvent } from './binary.js';
import { schemaErrors } from './schema.js';
import type { TestStore } from './stores.js';

const LEASE_TTL = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const line1 = (text: string) => text.split('\n')[0]!;

/**
 * The CLI as a user runs it (the workspace's bin, a separate process)
 * against a store that a real manager and scheduler write in another
 * process: the verdicts and exit codes, --json against its schema, and
 * each operation changing what that instance does.
 */
export function runCliCases(name: string, makeStore: () => TestStore): void {
  describe(`errand against ${name}`, () => {
    let store: TestStore;
    let worker: Worker;
    let ready: WorkerEvent;
    const cli = (...args: string[]) => errand([...args, ...store.cliArgs, '--lease-ttl', `${LEASE_TTL}ms`]);
    const plain = (...args: string[]) => errand([...args, ...store.cliArgs]);

    beforeAll(async () => {
      store = makeStore();
      worker = new Worker({ ...store.workerEnv, LEASE_TTL: String(LEASE_TTL) });
      ready = await worker.waitFor((e) => e.event === 'ready', 20_000, 'the worker to start');
      // The scheduler's role reaches the store with the heartbeat after start (until then: degraded).
      await sleep(LEASE_TTL / 3 + 300);
    });

    afterAll(async () => {
      await worker?.kill('SIGKILL');
      await store?.drop();
    });

    it('is healthy while the instance runs, verdict first, the jobs in the seed shape', async () => {
      const ran = await cli('health', '--detailed');
      expect(ran.stderr).toBe('');
      expect(ran.code, ran.stdout).toBe(0);
      const lines = ran.stdout.split('\n');
      expect(lines[0]).toMatch(
        /^healthy: store \w+ answered in \d+ms; 1 live instance; 2 active jobs, fired by 1 live instance; every job on time$/,
      );
      expect(lines).toContain('└─ Jobs: 2 total, 2 active, 0 paused');
      expect(ran.stdout).toMatch(/ {3}[├└]─ database_backup: Daily at 2:00 AM UTC → in \d+[hm]( \d+[ms])?\n/);
      expect(ran.stdout).toMatch(/ {3}[├└]─ ticker: Every second → (in \ds|now|overdue by \ds)\n/);
      expect(ran.stdout).toContain(`pid ${ready.pid}: live, firing scheduler`);
    });

    it('prints --json that matches schema v1', async () => {
      const ran = await cli('health', '--json');
      expect(ran.code).toBe(0);
      const json = JSON.parse(ran.stdout);
      expect(schemaErrors(json)).toEqual([]);
      expect(json.status).toBe('healthy');
      expect(json.instances).toEqual([
        expect.objectContaining({ id: ready.instanceId, state: 'live', scheduler: 'firing' }),
      ]);
      expect(json.jobs.map((job: { id: string }) => job.id).sort()).toEqual(['database_backup', 'ticker']);
    });

    it('answers the liveness probe with the store alone', async () => {
      const ran = await cli('health', '--probe', 'liveness');
      expect(ran.code).toBe(0);
      expect(line1(ran.stdout)).toMatch(/^healthy: store \w+ answered in /);
    });

    it('is unhealthy on a store with no Errand data, and creates nothing there', async () => {
      const empty = makeStore();
      try {
        for (let round = 0; round < 2; round++) {
          // Had the first check created the store, the second would find it and pass.
          const ran = await errand(['health', '--probe', 'liveness', ...empty.cliArgs]);
          expect(ran.code, ran.stdout + ran.stderr).toBe(1);
          expect(line1(ran.stdout)).toMatch(/^unhealthy: .*(no Errand store there|no such database file)/);
        }
      } finally {
        await empty.drop();
      }
    });

    it('exits 64 on a bad flag, before touching the store', async () => {
      const ran = await cli('health', '--detailled');
      expect(ran.code).toBe(64);
      expect(ran.stderr).toMatch(/Unknown option '--detailled'/);
    });

    it('retries a failed task: the live instance runs it again', async () => {
      const flakyId = String(ready.flakyId);
      await waitForStatus(plain, flakyId, 'failed');
      const ran = await plain('tasks', 'retry', flakyId);
      expect(ran.code).toBe(0);
      expect(ran.stdout).toMatch(/pending again/);
      await worker.waitFor(
        (e) => e.event === 'ran' && e.name === 'flaky' && e.call === 2,
        15_000,
        'the retry to run',
      );
      await waitForStatus(plain, flakyId, 'success');
    });

    it('cancels a running task: its signal is aborted on the instance that runs it', async () => {
      const slowId = String(ready.slowId);
      await worker.waitFor((e) => e.event === 'ran' && e.name === 'slow', 10_000, 'the slow task to start');
      const ran = await plain('tasks', 'cancel', slowId, '--timeout', '10s');
      expect(ran.code).toBe(0);
      await worker.waitFor((e) => e.event === 'aborted' && e.name === 'slow', 10_000, 'the abort');
      await waitForStatus(plain, slowId, 'cancelled');
    });

    it('runs a job now on the live instance', async () => {
      const runs = () =>
        worker.events.filter((e) => e.event === 'ran' && e.name === 'job:database_backup').length;
      const before = runs();
      const ran = await plain('jobs', 'run', 'database_backup');
      expect(ran.code).toBe(0);
      await worker.waitFor(() => runs() > before, 15_000, 'the job run');
    });

    it('pauses a job on the instance, and resumes it', async () => {
      await worker.waitFor((e) => e.event === 'tick', 10_000, 'a first tick');
      expect((await plain('jobs', 'pause', 'ticker')).code).toBe(0);
      await sleep(500); // a tick already claimed may still run
      const paused = worker.count('tick');
      await sleep(2500);
      expect(worker.count('tick')).toBe(paused);
      const listed = JSON.parse((await plain('jobs', 'list', '--json')).stdout);
      expect(listed.find((job: { id: string }) => job.id === 'ticker')).toMatchObject({
        paused: true,
        nextRunIn: 'paused',
      });
      expect((await plain('jobs', 'resume', 'ticker')).code).toBe(0);
      await worker.waitFor(() => worker.count('tick') > paused, 10_000, 'ticks after resume');
    });

    it('lists and shows tasks as JSON records', async () => {
      const listed = await plain('tasks', 'list', '--json', '--name', 'flaky');
      expect(listed.code).toBe(0);
      const records = JSON.parse(listed.stdout);
      expect(records).toEqual([
        expect.objectContaining({ id: ready.flakyId, name: 'flaky', status: 'success' }),
      ]);
      expect(records[0]).not.toHaveProperty('args');
      const shown = JSON.parse(
        (await plain('tasks', 'show', String(ready.flakyId), '--json', '--show-args')).stdout,
      );
      expect(shown).toMatchObject({ id: ready.flakyId, args: [], attempt: 1 });
    });

    it('is unhealthy after the instance is SIGKILLed and its lease expired, saying why', async () => {
      await worker.kill('SIGKILL');
      await sleep(LEASE_TTL + 500);
      const ran = await cli('health');
      expect(ran.code).toBe(1);
      expect(line1(ran.stdout)).toMatch(
        new RegExp(
          `^unhealthy: no live instance: last heartbeat \\S+ past its lease \\(\\S+ pid ${ready.pid}\\); no live instance fires the 2 active jobs`,
        ),
      );
    });

    it('is unhealthy with an overdue database_backup while no scheduler fires it', async () => {
      const passive = new Worker({ ...store.workerEnv, LEASE_TTL: String(LEASE_TTL), FIRE: '0' });
      try {
        await passive.waitFor((e) => e.event === 'ready', 20_000, 'the passive worker to start');
        await sleep(LEASE_TTL / 3 + 300); // its 'passive' role comes with its next heartbeat
        // The scheduler stopped firing before the 02:00 tick: rewind that tick to 3 minutes ago.
        const backend = await store.open();
        try {
          const now = await backend.now();
          const job = (await backend.schedules!.get('database_backup'))!;
          const moved = await backend.schedules!.claimTick({
            jobId: job.id,
            expectedNextRunAt: job.nextRunAt!,
            nextRunAt: now - 3 * 60_000 - 5000, // overdue by 3m 5s, give or take the run's own seconds
            activeRuns: [],
            lastRunAt: job.lastRunAt ?? now - 86_400_000,
            lastOutcome: null,
            tasks: [],
          });
          expect(moved.won).toBe(true);
        } finally {
          await backend.close();
        }
        const ran = await cli('health', '--detailed');
        expect(ran.code).toBe(1);
        expect(line1(ran.stdout)).toMatch(
          /^unhealthy: no live instance fires the 2 active jobs; database_backup overdue by 3m \d+s \(grace 1m\)/,
        );
        expect(ran.stdout).toMatch(/database_backup: Daily at 2:00 AM UTC → overdue by 3m \d+s\n/);
      } finally {
        await passive.kill('SIGKILL');
      }
    });
  });
}

async function waitForStatus(
  run: (...args: string[]) => Promise<{ code: number | null; stdout: string }>,
  id: string,
  status: string,
): Promise<void> {
  const end = Date.now() + 15_000;
  let last = '';
  while (Date.now() < end) {
    const shown = await run('tasks', 'show', id, '--json');
    if (shown.code === 0) {
      last = JSON.parse(shown.stdout).status;
      if (last === status) return;
    }
    await sleep(200);
  }
  throw new Error(`task ${id} never became ${status} (last seen ${last})`);
}
