import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeQuery, type SnapshotBackend, type TaskRecord } from '../index.js';
import type { ProcessBackendSpec } from './chaos.js';

/** Configuration of one fleet process (internal, passed as JSON). */
export interface FleetWorkerConfig {
  backend: ProcessBackendSpec;
  role: 'producer' | 'worker';
  instanceId: string;
  tasks: number;
  leaseTtl: number;
  runsFile: string;
  acceptedFile: string;
}

/** What happened, for the test to judge. */
export interface FleetReport {
  accepted: Set<string>;
  records: Map<string, TaskRecord>;
  /** Per task id: the instances that started it and those that completed it, in order. */
  starts: Map<string, string[]>;
  completions: Map<string, string[]>;
  victimId: string;
  /** Completions per worker. */
  workDone: Map<string, number>;
}

const workerPath = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));

async function until(check: () => boolean | Promise<boolean>, deadline: number, what: string): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`fleet chaos: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * One producer-only process enqueues `tasks` shared tasks; two worker
 * processes run them; one worker is SIGKILLed once it has done a share of
 * the work. The survivor (and the fleet rules) must finish everything.
 */
export async function runFleetChaos(options: {
  backend: ProcessBackendSpec;
  connect: () => SnapshotBackend;
  tasks: number;
  leaseTtl?: number;
  timeout?: number;
}): Promise<FleetReport> {
  const leaseTtl = options.leaseTtl ?? 2000;
  const deadline = Date.now() + (options.timeout ?? 120_000);
  const dir = await mkdtemp(join(tmpdir(), 'errand-fleet-'));
  const runsFile = join(dir, 'runs.log');
  const acceptedFile = join(dir, 'accepted.log');
  await writeFile(runsFile, '');
  await writeFile(acceptedFile, '');
  const children: Array<{ child: ChildProcess; messages: string[]; exited: boolean }> = [];
  const spawn = (role: FleetWorkerConfig['role'], instanceId: string) => {
    const config: FleetWorkerConfig = {
      backend: options.backend,
      role,
      instanceId,
      tasks: options.tasks,
      leaseTtl,
      runsFile,
      acceptedFile,
    };
    const child = fork(workerPath, [], {
      env: { ...process.env, ERRAND_FLEET: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const entry = { child, messages: [] as string[], exited: false };
    child.on('message', (message: { type: string; message?: string }) => {
      entry.messages.push(message.type === 'error' ? `error: ${message.message}` : message.type);
    });
    child.on('exit', () => {
      entry.exited = true;
    });
    children.push(entry);
    return entry;
  };
  const reader = options.connect();
  await reader.open({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const failed = () => children.flatMap((c) => c.messages).find((m) => m.startsWith('error'));
  const lines = async () => (await readFile(runsFile, 'utf8')).split('\n').filter(Boolean);
  try {
    const victim = spawn('worker', 'worker-1');
    const survivor = spawn('worker', 'worker-2');
    await until(
      () => (victim.messages.includes('started') && survivor.messages.includes('started')) || !!failed(),
      deadline,
      'the workers',
    );
    const producer = spawn('producer', 'producer');
    const share = Math.floor(options.tasks / 6);
    await until(
      async () =>
        (await lines()).filter((line) => line.startsWith('done') && line.includes(' worker-1 ')).length >=
          share || !!failed(),
      deadline,
      'the victim to do its share',
    );
    if (failed()) throw new Error(`fleet process failed: ${failed()}`);
    victim.child.kill('SIGKILL');
    await until(() => victim.exited, deadline, 'the victim to die');
    await until(
      () => producer.messages.includes('enqueued') || !!failed(),
      deadline,
      'the producer to enqueue everything',
    );
    if (failed()) throw new Error(`fleet process failed: ${failed()}`);
    await until(
      async () => {
        const counts = await reader.counts(normalizeQuery());
        return counts.pending + counts.running === 0;
      },
      deadline,
      'every task to finish',
    );
    for (const entry of [producer, survivor]) entry.child.send({ type: 'stop' });
    await until(() => producer.exited && survivor.exited, deadline, 'the rest to stop');

    const accepted = new Set((await readFile(acceptedFile, 'utf8')).split('\n').filter(Boolean));
    const starts = new Map<string, string[]>();
    const completions = new Map<string, string[]>();
    const workDone = new Map<string, number>();
    for (const line of await lines()) {
      const [kind, id, instance] = line.split(' ') as [string, string, string];
      const into = kind === 'start' ? starts : completions;
      into.set(id, [...(into.get(id) ?? []), instance]);
      if (kind === 'done') workDone.set(instance, (workDone.get(instance) ?? 0) + 1);
    }
    const records = new Map<string, TaskRecord>();
    const all = [...accepted];
    for (let i = 0; i < all.length; i += 500) {
      for (const record of await reader.getMany(all.slice(i, i + 500))) records.set(record.id, record);
    }
    return { accepted, records, starts, completions, victimId: 'worker-1', workDone };
  } finally {
    for (const entry of children) if (!entry.exited) entry.child.kill('SIGKILL');
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  }
}
