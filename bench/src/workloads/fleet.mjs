// Fleet (issue #18): one producer-only process and W worker processes (real
// child processes, see fleet-process.mjs) sharing one store.
// - throughput: the producer enqueues `n` no-op tasks, `inFlight` at a time;
//   tasks/s from its first enqueue to the last completion in any worker.
// - latency: the producer enqueues at a steady `rate`, one worker runs them;
//   ms from just before each enqueue (producer) to the task's first line (worker).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentile } from '../stats.mjs';

const PROCESS = fileURLToPath(new URL('./fleet-process.mjs', import.meta.url));

/** Forks one fleet process and resolves once it has started. */
function spawn(options) {
  return new Promise((resolve, reject) => {
    const child = fork(PROCESS, [JSON.stringify(options)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const listeners = new Set();
    let exited = false;
    const handle = {
      child,
      last: { count: 0, lastAt: Number.NaN },
      /** Resolves with the next message that `match` accepts. */
      next: (match) =>
        new Promise((ok, fail) => {
          if (exited) fail(new Error(`${options.role} exited`));
          listeners.add({ match, ok, fail });
        }),
      send: (message) => {
        if (child.connected) child.send(message);
      },
    };
    child.on('message', (message) => {
      if (message.ready) resolve(handle);
      if ('count' in message) handle.last = message;
      for (const listener of listeners) {
        if (listener.match(message)) {
          listeners.delete(listener);
          listener.ok(message);
        }
      }
    });
    child.on('exit', (code) => {
      exited = true;
      handle.exitCode = code;
      const error = new Error(`${options.role} exited with ${code}`);
      reject(error);
      for (const listener of listeners) listener.fail(error);
    });
  });
}

async function stopAll(handles) {
  const stopped = await Promise.all(
    handles.map(async (handle) => {
      const reply = handle.next((m) => m.stopped);
      handle.send({ cmd: 'stop' });
      const timeout = new Promise((resolve) => setTimeout(resolve, 15_000, null));
      const result = await Promise.race([reply.catch(() => null), timeout]);
      handle.child.kill('SIGKILL');
      return result;
    }),
  );
  return stopped;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()`, failing at once if a process of the fleet exits first. */
async function until(done, handles) {
  while (!done()) {
    const gone = handles.find((handle) => handle.exitCode !== undefined);
    if (gone) throw new Error(`a fleet process exited (${gone.exitCode}) before the work was done`);
    await sleep(10);
  }
}

/**
 * @param {string} target errand-postgres | errand-redis | bullmq
 * @param {{ namespace: string, n: number, workers: number, inFlight: number, concurrency: number }} options
 */
export async function measureFleet(target, { namespace, n, workers, inFlight, concurrency }) {
  const base = { system: target, namespace, concurrency };
  const handles = [];
  try {
    // Workers first: the schema exists and they are listening before the first task.
    // The first creates the schema; the others start together.
    handles.push(await spawn({ ...base, role: 'worker' }));
    const others = Array.from({ length: workers - 1 }, () => spawn({ ...base, role: 'worker' }));
    for (const handle of await Promise.all(others)) handles.push(handle);
    const producer = await spawn({ ...base, role: 'producer' });
    handles.push(producer);
    const ranks = handles.slice(0, workers);
    const produced = producer.next((m) => 'firstAt' in m);
    producer.send({ cmd: 'produce', total: n, inFlight });
    const sent = await produced;
    if (sent.errors > 0) throw new Error(`${sent.errors} enqueues failed: ${sent.error}`);
    await until(() => ranks.reduce((sum, h) => sum + h.last.count, 0) >= n, ranks);
    const lastAt = Math.max(...ranks.map((h) => h.last.lastAt).filter(Number.isFinite));
    const seconds = (lastAt - sent.firstAt) / 1000;
    return {
      tasksPerSecond: n / seconds,
      seconds,
      enqueueSeconds: (sent.lastAt - sent.firstAt) / 1000,
      perWorker: ranks.map((h) => h.last.count),
    };
  } finally {
    await stopAll(handles);
  }
}

/**
 * @param {string} target errand-<postgres|redis|mysql|sqlite>
 * @param {{ namespace: string, count: number, warmup: number, rate: number, concurrency: number }} options
 */
export async function measureFleetLatency(target, { namespace, count, warmup, rate, concurrency }) {
  const base = { system: target, namespace, concurrency };
  const handles = [];
  try {
    const worker = await spawn({ ...base, role: 'worker', samples: true });
    handles.push(worker);
    const producer = await spawn({ ...base, role: 'producer' });
    handles.push(producer);
    const total = warmup + count;
    const produced = producer.next((m) => 'firstAt' in m);
    producer.send({ cmd: 'produce', total, rate });
    const sent = await produced;
    if (sent.errors > 0) throw new Error(`${sent.errors} enqueues failed: ${sent.error}`);
    await until(() => worker.last.count >= total, [worker]);
    const drainSeconds = (worker.last.lastAt - sent.lastAt) / 1000;
    const [stopped] = await stopAll([worker]);
    if (!stopped) throw new Error('the worker did not stop');
    // Samples arrive in start order; the first `warmup` starts are left out.
    const samples = stopped.samples.slice(warmup);
    return {
      p50: percentile(samples, 50),
      p95: percentile(samples, 95),
      p99: percentile(samples, 99),
      achievedRate: total / ((sent.lastAt - sent.firstAt) / 1000),
      backlogSeconds: drainSeconds,
    };
  } finally {
    await stopAll(handles);
  }
}
