/**
 * One instance of the multi-process chaos scenario, run as a child process
 * by `runProcessChaos()`. Configured by the `ERRAND_CHAOS` environment
 * variable (JSON); talks to its parent over IPC.
 *
 * Every attempt appends a line to the runs file before it does anything
 * else, and every accepted enqueue appends its id to the accepted file, both
 * with synchronous appends: a SIGKILL cannot lose a line that was written,
 * so the parent can count runs without trusting the system under test.
 */
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type SnapshotBackend, TaskManager } from '../index.js';
import type { ChaosWorkerConfig } from './chaos.js';

const config = JSON.parse(process.env.ERRAND_CHAOS ?? '{}') as ChaosWorkerConfig;

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

async function loadBackend(): Promise<SnapshotBackend> {
  const { module, exportName, options } = config.backend;
  const url = module.startsWith('file:') || !module.startsWith('/') ? module : pathToFileURL(module).href;
  const loaded = (await import(url)) as Record<string, new (options: unknown) => SnapshotBackend>;
  const Backend = loaded[exportName];
  if (typeof Backend !== 'function') throw new Error(`${module} has no export ${exportName}`);
  return new Backend(options);
}

async function main(): Promise<void> {
  const manager = new TaskManager({
    backend: await loadBackend(),
    durability: 'durable',
    instanceId: config.instanceId,
    concurrency: 16,
    leaseTtl: config.leaseTtl,
    heartbeatInterval: Math.max(50, Math.floor(config.leaseTtl / 4)),
    takeoverInterval: config.takeoverInterval,
    logger: false,
  });
  const body = async (ctx: { id: string; attempt: number }, index: number, key: string) => {
    appendFileSync(config.runsFile, `${ctx.id} ${config.instanceId} ${ctx.attempt} ${index} ${key}\n`);
    const [min, max] = config.taskMs;
    await new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)));
  };
  manager.define('chaos.plain', body);
  manager.define('chaos.requeue', body, { requeueOnInterrupt: true });
  manager.on('backendError', (error) => send({ type: 'backendError', message: error.message }));
  process.on('message', (message: { type: string }) => {
    if (message.type === 'stop') {
      manager.stop({ timeout: 5000 }).then(
        () => {
          send({ type: 'stopped' });
          process.exit(0);
        },
        (error: unknown) => {
          send({ type: 'error', message: String(error) });
          process.exit(1);
        },
      );
    }
  });
  await manager.start();
  send({ type: 'started' });

  const [from, to] = config.range;
  let next = from;
  let accepted = 0;
  const producer = async () => {
    while (next < to) {
      const index = next++;
      const key = `key-${index % config.keyModulo}`;
      const name = index % 2 === 0 ? 'chaos.requeue' : 'chaos.plain';
      const id = await manager.enqueue(name, [index, key], { idempotencyKey: key });
      appendFileSync(config.acceptedFile, `${id} ${index} ${key}\n`);
      if (++accepted % 25 === 0) send({ type: 'progress', accepted });
    }
  };
  await Promise.all(Array.from({ length: 32 }, producer));
  send({ type: 'enqueued', accepted });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
