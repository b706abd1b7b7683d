// What observability costs per task, and what worker threads buy the event loop.
//
//   npm run build -w @errand/core && node --expose-gc bench/src/observe.mjs [--tasks 50000] [--rounds 3]
//     [--only observers|encryption|loop]
//
// 1. tasks/s of no-op tasks in memory: bare (taskContext off), the default (currentTask() on),
//    with OpenTelemetry's API loaded but no SDK (non-recording spans), and with each observer;
// 2. tasks/s with a store (MemoryBackend, every finished record written) without and with
//    encryption at rest;
// 3. event-loop delay (p50, p99, max) while 4 CPU-heavy tasks run in-process, then with
//    `thread: true`.
// Configurations alternate within each round and the median of the rounds is printed, so a
// neighbour's load on a shared machine hits them alike. Not part of `npm run bench`: it needs
// no other system and no service.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const core = await import(new URL('../../packages/core/dist/index.js', import.meta.url).href);
const { TaskManager, MemoryBackend, fileObserver, memoryObserver, stdoutObserver } = core;

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
if (!globalThis.gc)
  console.warn('run with node --expose-gc: without it, one run pays for the garbage of the last');
const N = Number(values.tasks);
const ROUNDS = Number(values.rounds);
const dir = mkdtempSync(join(tmpdir(), 'errand-bench-observe-'));
const devNull = createWriteStream('/dev/null');

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/** Runs N tasks (each logs one line) through a manager: tasks/s and CPU µs per task, first enqueue to stopped. */
async function throughput(options) {
  // The garbage of the previous run would otherwise be collected during this one.
  globalThis.gc?.();
  // Tracing is off unless a row turns it on: @opentelemetry/api is installed in this repository.
  const manager = new TaskManager({
    logger: false,
    concurrency: 100,
    maxRecords: 2000,
    tracing: false,
    ...options,
  });
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  manager.define('work', async (ctx, order) => {
    ctx.log('working', { order: order.id });
    return { ok: true };
  });
  manager.on('success', () => {
    if (++done === N) finish();
  });
  await manager.start();
  const args = { id: 'order-1234', email: 'ada@example.com', items: [1, 2, 3], note: 'x'.repeat(120) };
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) await manager.enqueue('work', [args]);
  await finished;
  await manager.stop(); // its final flush is part of the work: the store's writes are what encryption costs
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  // CPU time per task is what a neighbour's load on a shared machine disturbs least.
  return { rate: N / seconds, cpuMicros: (used.user + used.system) / N };
}

const key = () => randomBytes(32).toString('base64');
const observerConfigs = {
  'bare (taskContext: false)': () => ({ taskContext: false }),
  'default (currentTask() on)': () => ({}),
  'tracing on, no SDK registered': () => ({ tracing: true }),
  memoryObserver: () => ({ observers: [memoryObserver({ limit: 1000 })] }),
  fileObserver: () => ({
    observers: [fileObserver({ path: join(dir, `tasks-${Math.random()}.log`), maxBytes: 50_000_000 })],
  }),
  'stdoutObserver json (to /dev/null)': () => ({
    observers: [stdoutObserver({ format: 'json', stream: devNull })],
  }),
};
const storeConfigs = {
  'MemoryBackend, plain': () => ({ backend: new MemoryBackend() }),
  'MemoryBackend, encrypted': () => ({
    backend: new MemoryBackend(),
    encryption: { keys: { k1: key() }, current: 'k1' },
  }),
};

async function table(title, configs) {
  const results = Object.fromEntries(Object.keys(configs).map((name) => [name, []]));
  for (const make of Object.values(configs)) await throughput(make()); // warm-up, discarded
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of Object.entries(configs)) results[name].push(await throughput(make()));
  }
  console.log(`\n${title} (${N} tasks, median of ${ROUNDS})`);
  const base = median(Object.values(results)[0].map((r) => r.cpuMicros));
  for (const [name, list] of Object.entries(results)) {
    const rate = median(list.map((r) => r.rate));
    const cpu = median(list.map((r) => r.cpuMicros));
    console.log(
      `  ${name.padEnd(36)} ${Math.round(rate).toString().padStart(8)} tasks/s  ${cpu.toFixed(1).padStart(6)} µs CPU/task  ${(cpu - base).toFixed(1).padStart(6)} vs first row`,
    );
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Event-loop delay while 4 CPU-heavy tasks run, in-process or in threads: a 10 ms interval
 * records how late each of its ticks came (a loop blocked for 800 ms yields one sample of
 * ~790 ms, which monitorEventLoopDelay would only record once the loop is free again).
 */
async function loopDelay(thread) {
  const manager = new TaskManager({ logger: false, threads: { maxThreads: 4 } });
  const module = new URL('../../packages/core/test/fixtures/threads/primes.mjs', import.meta.url);
  if (thread) manager.define('primes', module, { thread: true });
  else manager.define('primes', (await import(module.href)).default);
  await manager.start();
  if (thread) await manager.result(await manager.enqueue('primes', [10, 1])); // pool warm, as in a server
  const delays = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    delays.push(Math.max(0, now - last - 10));
    last = now;
  }, 10);
  const started = performance.now();
  const ids = await Promise.all([1, 2, 3, 4].map(() => manager.enqueue('primes', [2_000_000, 4])));
  await Promise.all(ids.map((id) => manager.result(id)));
  const seconds = (performance.now() - started) / 1000;
  await sleep(30); // the tick that was held up by the last task lands
  clearInterval(timer);
  await manager.stop();
  delays.sort((a, b) => a - b);
  const at = (p) => delays[Math.min(delays.length - 1, Math.ceil(p * delays.length) - 1)].toFixed(1);
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: delays.at(-1).toFixed(1),
    seconds: seconds.toFixed(2),
    samples: delays.length,
  };
}

try {
  if (!values.only || values.only === 'observers') await table('Observers', observerConfigs);
  if (!values.only || values.only === 'encryption') await table('Encryption at rest', storeConfigs);
  if (values.only && values.only !== 'loop') process.exit(0);
  console.log('\nEvent-loop delay while 4 CPU-heavy tasks run (primes below 2,000,000)');
  for (let round = 0; round < ROUNDS; round++) {
    for (const thread of [false, true]) {
      const r = await loopDelay(thread);
      console.log(
        `  ${(thread ? 'thread: true' : 'in-process').padEnd(14)} p50 ${r.p50.padStart(7)} ms  p99 ${r.p99.padStart(7)} ms  max ${r.max.padStart(7)} ms  (${r.seconds} s for the 4, ${r.samples} ticks)`,
      );
    }
  }
} finally {
  devNull.end();
  rmSync(dir, { recursive: true, force: true });
}
