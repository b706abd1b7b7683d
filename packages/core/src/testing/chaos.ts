import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeQuery, type SnapshotBackend, type TaskRecord, toPage } from '../index.js';

/** How a child process builds the backend: `new (await import(module))[exportName](options)`. */
export interface ProcessBackendSpec {
  /** A file path, file URL or package name the child can import. */
  module: string;
  exportName: string;
  /** JSON options for the constructor. */
  options: unknown;
}

/** Configuration of one chaos worker process (internal, passed as JSON). */
export interface ChaosWorkerConfig {
  backend: ProcessBackendSpec;
  instanceId: string;
  /** Task indexes this worker enqueues: [from, to). */
  range: [number, number];
  keyModulo: number;
  acceptedFile: string;
  runsFile: string;
  leaseTtl: number;
  takeoverInterval: number;
  taskMs: [number, number];
}

/** Options of {@link runProcessChaos}. */
export interface ChaosOptions {
  backend: ProcessBackendSpec;
  /** Connects the parent's reader to the same store. */
  connect: () => SnapshotBackend;
  /** Worker processes. Default 3. */
  processes?: number;
  /** Tasks enqueued in all, split evenly. Default 3000. */
  tasks?: number;
  /** Idempotency keys are `key-<index % keyModulo>`. Default `tasks / 2`: every key used twice. */
  keyModulo?: number;
  /** Which worker is SIGKILLed. Default 1. */
  victim?: number;
  /** Kill once the victim has accepted this many tasks. Default a third of its share. */
  killAfterAccepted?: number;
  leaseTtl?: number;
  takeoverInterval?: number;
  /** Overall limit, in ms. Default 90000. */
  timeout?: number;
}

/** What happened, for the test to judge. */
export interface ChaosReport {
  /** Distinct task ids some worker accepted. */
  accepted: Set<string>;
  /** Every stored record, by id. */
  records: Map<string, TaskRecord>;
  /** Attempts started, per task id, from the run log. */
  runs: Map<string, number>;
  /** Task ids that ran, per idempotency key. */
  idsByKey: Map<string, Set<string>>;
  /** The killed instance's id. */
  victimId: string;
  /** Ms from SIGKILL until no unfinished task was owned by the victim any more. */
  takeoverMs: number;
}

const workerPath = fileURLToPath(new URL('./chaos-worker.js', import.meta.url));

interface Worker {
  child: ChildProcess;
  accepted: number;
  enqueued: boolean;
  exited: boolean;
  messages: Array<{ type: string; message?: string }>;
}

function spawnWorker(config: ChaosWorkerConfig): Worker {
  const child = fork(workerPath, [], {
    env: { ...process.env, ERRAND_CHAOS: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const worker: Worker = { child, accepted: 0, enqueued: false, exited: false, messages: [] };
  child.on('message', (message: { type: string; accepted?: number; message?: string }) => {
    worker.messages.push(message);
    if (message.type === 'progress' || message.type === 'enqueued') worker.accepted = message.accepted ?? 0;
    if (message.type === 'enqueued') worker.enqueued = true;
  });
  child.on('exit', () => {
    worker.exited = true;
  });
  return worker;
}

async function until(check: () => boolean | Promise<boolean>, deadline: number, what: string): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`chaos: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function allRecords(backend: SnapshotBackend): Promise<TaskRecord[]> {
  const records: TaskRecord[] = [];
  let cursor: string | undefined;
  do {
    const query = normalizeQuery({ limit: 1000, cursor });
    const page = toPage(await backend.query(query), query);
    records.push(...page.records);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return records;
}

/**
 * Runs the multi-instance chaos scenario against a real store: `processes`
 * workers share it and enqueue `tasks` durable tasks with overlapping
 * idempotency keys (every key is used by two workers, the victim included);
 * one worker is killed with SIGKILL mid-run; the others must take its work
 * over through lease expiry. When only one process runs, a fresh process is
 * started after the kill instead (crash recovery by restart).
 */
export async function runProcessChaos(options: ChaosOptions): Promise<ChaosReport> {
  const processes = options.processes ?? 3;
  const tasks = options.tasks ?? 3000;
  const victim = options.victim ?? (processes > 1 ? 1 : 0);
  const share = Math.floor(tasks / processes);
  const killAfter = options.killAfterAccepted ?? Math.floor(share / 3);
  const leaseTtl = options.leaseTtl ?? 2000;
  const takeoverInterval = options.takeoverInterval ?? 250;
  const deadline = Date.now() + (options.timeout ?? 90_000);
  const dir = await mkdtemp(join(tmpdir(), 'errand-chaos-'));
  const runsFile = join(dir, 'runs.log');
  const acceptedFile = (i: number) => join(dir, `accepted-${i}.log`);
  const workers: Worker[] = [];
  const reader = options.connect();
  await reader.open({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    await writeFile(runsFile, '');
    const base = {
      backend: options.backend,
      keyModulo: options.keyModulo ?? Math.ceil(tasks / 2),
      runsFile,
      leaseTtl,
      takeoverInterval,
    };
    for (let i = 0; i < processes; i++) {
      await writeFile(acceptedFile(i), '');
      const range: [number, number] = [i * share, i === processes - 1 ? tasks : (i + 1) * share];
      workers.push(
        spawnWorker({
          ...base,
          instanceId: `chaos-${i}`,
          range,
          acceptedFile: acceptedFile(i),
          taskMs: [2, 20],
        }),
      );
    }
    const failed = () => workers.find((w) => w.messages.some((m) => m.type === 'error'));
    const doomed = workers[victim]!;
    await until(
      () => doomed.accepted >= killAfter || !!failed() || doomed.enqueued,
      deadline,
      'the victim to accept tasks',
    );
    if (failed())
      throw new Error(`chaos worker failed: ${failed()!.messages.find((m) => m.type === 'error')?.message}`);
    doomed.child.kill('SIGKILL');
    const killedAt = Date.now();
    await until(() => doomed.exited, deadline, 'the victim to die');
    if (processes === 1) {
      workers.push(
        spawnWorker({
          ...base,
          instanceId: 'chaos-restart',
          range: [0, 0],
          acceptedFile: join(dir, 'accepted-restart.log'),
          taskMs: [2, 20],
        }),
      );
    }
    const survivors = workers.filter((w) => w !== doomed);
    await until(() => survivors.every((w) => w.enqueued) || !!failed(), deadline, 'the survivors to enqueue');
    if (failed())
      throw new Error(`chaos worker failed: ${failed()!.messages.find((m) => m.type === 'error')?.message}`);
    const victimId = `chaos-${victim}`;
    let takeoverMs = -1;
    await until(
      async () => {
        const unfinished = await reader.query(
          normalizeQuery({ status: ['pending', 'running'], limit: 1000 }),
        );
        if (takeoverMs < 0 && !unfinished.some((record) => record.owner === victimId))
          takeoverMs = Date.now() - killedAt;
        return unfinished.length === 0;
      },
      deadline,
      'every task to finish',
    );
    for (const worker of survivors) worker.child.send({ type: 'stop' });
    await until(() => survivors.every((w) => w.exited), deadline, 'the survivors to stop');

    const accepted = new Set<string>();
    for (let i = 0; i < processes; i++) {
      for (const line of (await readFile(acceptedFile(i), 'utf8')).split('\n')) {
        if (line) accepted.add(line.split(' ')[0]!);
      }
    }
    const runs = new Map<string, number>();
    const idsByKey = new Map<string, Set<string>>();
    for (const line of (await readFile(runsFile, 'utf8')).split('\n')) {
      if (!line) continue;
      const [id, , , , key] = line.split(' ') as [string, string, string, string, string];
      runs.set(id, (runs.get(id) ?? 0) + 1);
      const ids = idsByKey.get(key) ?? new Set<string>();
      idsByKey.set(key, ids.add(id));
    }
    const records = new Map((await allRecords(reader)).map((record) => [record.id, record]));
    return { accepted, records, runs, idsByKey, victimId, takeoverMs };
  } finally {
    for (const worker of workers) if (!worker.exited) worker.child.kill('SIGKILL');
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  }
}
