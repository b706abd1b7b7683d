import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeQuery, type SnapshotBackend, type TaskRecord, toPage } from '@errand/core';
import type { ProcessBackendSpec } from '@errand/core/testing';

/** Configuration of one tick worker process (internal, passed as JSON). */
export interface TickWorkerConfig {
  backend: ProcessBackendSpec;
  instanceId: string;
  runsFile: string;
}

/** What happened, per second-tick of the window, for the test to judge. */
export interface TickChaosReport {
  /** Ticks (epoch ms) from the first one after every process started to the last before they stopped. */
  window: number[];
  /** Stored run records per tick. */
  recordsByTick: Map<number, TaskRecord[]>;
  /** Runs started per tick, from the run log. */
  runsByTick: Map<number, number>;
}

const workerPath = fileURLToPath(new URL('./tick-worker.js', import.meta.url));

/**
 * Three processes share a store and fire a one-second job for `seconds`;
 * one is killed with SIGKILL a third of the way in. Counts come from the
 * store and from a run log the job writes before anything else.
 */
export async function runTickChaos(options: {
  backend: ProcessBackendSpec;
  connect: () => SnapshotBackend;
  seconds: number;
}): Promise<TickChaosReport> {
  const dir = await mkdtemp(join(tmpdir(), 'errand-ticks-'));
  const runsFile = join(dir, 'runs.log');
  await writeFile(runsFile, '');
  const children: ChildProcess[] = [];
  const reader = options.connect();
  await reader.open({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    const started = await Promise.all(
      [0, 1, 2].map(
        (i) =>
          new Promise<void>((resolve, reject) => {
            const config: TickWorkerConfig = {
              backend: options.backend,
              instanceId: `ticker-${i}`,
              runsFile,
            };
            const child = fork(workerPath, [], {
              env: { ...process.env, ERRAND_TICK_CHAOS: JSON.stringify(config) },
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
            });
            children.push(child);
            child.on('message', (message: { type: string; message?: string }) => {
              if (message.type === 'started') resolve();
              if (message.type === 'error') reject(new Error(`tick worker failed: ${message.message}`));
            });
            child.on('exit', (code) => reject(new Error(`tick worker exited with ${code}`)));
          }),
      ),
    );
    void started;
    const windowStart = Math.ceil((Date.now() + 1000) / 1000) * 1000;
    await new Promise((resolve) => setTimeout(resolve, (options.seconds / 3) * 1000));
    children[1]!.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, ((options.seconds * 2) / 3) * 1000 + 1000));
    const windowEnd = Math.floor(Date.now() / 1000) * 1000 - 2000;
    // Let runs of the last ticks (and a takeover of the victim's) finish, then stop.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await Promise.all(
      [children[0]!, children[2]!].map(
        (child) =>
          new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.send({ type: 'stop' });
          }),
      ),
    );

    const window: number[] = [];
    for (let tick = windowStart; tick <= windowEnd; tick += 1000) window.push(tick);
    const recordsByTick = new Map<number, TaskRecord[]>();
    let cursor: string | undefined;
    do {
      const query = normalizeQuery({ name: 'job:beat', limit: 1000, cursor });
      const page = toPage(await reader.query(query), query);
      for (const record of page.records) {
        const tick = Number(record.idempotencyKey?.split(':').pop() ?? record.runAt);
        recordsByTick.set(tick, [...(recordsByTick.get(tick) ?? []), record]);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const runsByTick = new Map<number, number>();
    for (const line of (await readFile(runsFile, 'utf8')).split('\n')) {
      if (!line) continue;
      const tick = Number(line.split(' ')[0]!.split(':').pop());
      runsByTick.set(tick, (runsByTick.get(tick) ?? 0) + 1);
    }
    return { window, recordsByTick, runsByTick };
  } finally {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  }
}
