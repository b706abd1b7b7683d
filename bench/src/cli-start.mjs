// node bench/src/cli-start.mjs [--runs=N] [--db=PATH]
// How long `errand health` takes to give its verdict on SQLite, from process
// start to exit: a container's health check pays exactly this. A live
// instance (manager + scheduler with the daily database_backup job, 500
// finished tasks) runs in a child process, so the verdict is a real
// "healthy". Runs alternate with a bare `node -e 0`, so the figure can be
// read against what Node itself costs on this machine at this minute.
// Needs `npm run build` first (the bin is the workspace's node_modules/.bin/errand).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const value = (name) => argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
const RUNS = Number(value('runs') ?? 30);
const WARMUP = 3;
const BIN = fileURLToPath(new URL('../../node_modules/.bin/errand', import.meta.url));

// The instance, as a child process: the bench process itself stays idle while it measures.
const INSTANCE = `
import { TaskManager } from '@errand/core';
import { Scheduler } from '@errand/scheduler';
import { SqliteBackend } from '@errand/backend-sqlite';
const backend = new SqliteBackend({ path: process.env.DB });
const manager = new TaskManager({ backend, logger: false, durability: 'durable' });
manager.define('work', async (_ctx, n) => n * 2);
const scheduler = new Scheduler(manager);
scheduler.add(backend.backupJob({ dir: process.env.BACKUPS }));
await manager.start();
await Promise.all(Array.from({ length: 500 }, (_, i) => manager.enqueue('work', [i])));
process.stdout.write('ready\\n');
// The manager's timers are unref'd; a server's socket would hold the process, this does here.
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => manager.stop().then(() => process.exit(0)));
`;

function startInstance(db, backups) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', INSTANCE], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: { ...process.env, DB: db, BACKUPS: backups },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve(child));
    child.on('exit', (code) => reject(new Error(`the instance exited (${code}) before it was ready`)));
  });
}

/** Wall ms from spawn to exit, and the exit code. */
function timed(command, args) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ms: performance.now() - started, code, out }));
  });
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const summary = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return { min: sorted[0], median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), max: sorted.at(-1) };
};
const ms = (n) => `${n.toFixed(0)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'errand-cli-start-'));
const db = value('db') ?? join(dir, 'tasks.db');
const instance = await startInstance(db, join(dir, 'backups'));
try {
  const cli = [BIN, ['health', '--store', `sqlite:${db}`]];
  const bare = [process.execPath, ['-e', '0']];
  // The instance's scheduler role reaches the store with its second heartbeat: measure a real "healthy".
  let first = await timed(...cli);
  for (const end = Date.now() + 15_000; !first.out.startsWith('healthy') && Date.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    first = await timed(...cli);
  }
  if (first.code !== 0) throw new Error(`errand health exited ${first.code}: ${first.out}`);
  process.stdout.write(`verdict: ${first.out.split('\n')[0]}\n`);
  for (let i = 0; i < WARMUP; i++) {
    await timed(...cli);
    await timed(...bare);
  }
  const health = [];
  const node = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await timed(...cli);
    if (run.code !== 0) throw new Error(`run ${i}: errand health exited ${run.code}: ${run.out}`);
    health.push(run.ms);
    node.push((await timed(...bare)).ms);
  }
  const h = summary(health);
  const n = summary(node);
  const extra = summary(health.map((value, i) => value - node[i]));
  process.stdout.write(
    [
      `errand health on SQLite, ${RUNS} runs (wall, process start to exit):`,
      `  errand health   min ${ms(h.min)}  median ${ms(h.median)}  p90 ${ms(h.p90)}  max ${ms(h.max)}`,
      `  node -e 0       min ${ms(n.min)}  median ${ms(n.median)}  p90 ${ms(n.p90)}  max ${ms(n.max)}`,
      `  errand's own    median ${ms(extra.median)} above a bare Node start (paired runs)`,
      `  target: a verdict in under 300 ms -> ${h.median < 300 ? 'met' : 'NOT met'} (median)`,
      '',
    ].join('\n'),
  );
} finally {
  instance.kill('SIGTERM');
  await new Promise((resolve) => instance.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
