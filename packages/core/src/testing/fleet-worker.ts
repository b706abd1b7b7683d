/**
 * One process of the fleet scenario, run by `runFleetChaos()`: a producer
 * (`runTasks: false`) that enqueues shared tasks, or a worker that runs
 * them. Every attempt appends `start` and `done` lines to the runs file with
 * synchronous appends, so a SIGKILL cannot lose a line that was written.
 */
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type SnapshotBackend, TaskManager } from '../index.js';
import type { FleetWorkerConfig } from './fleet-chaos.js';

const config = JSON.parse(process.env.ERRAND_FLEET ?? '{}') as FleetWorkerConfig;

async function loadBackend(): Promise<SnapshotBackend> {
  const { module, exportName, options } = config.backend;
  const url = module.startsWith('file:') || !module.startsWith('/') ? module : pathToFileURL(module).href;
  const loaded = (await import(url)) as Record<string, new (options: unknown) => SnapshotBackend>;
  return new loaded[exportName]!(options);
}

async function main(): Promise<void> {
  const producer = config.role === 'producer';
  const manager = new TaskManager({
    backend: await loadBackend(),
    instanceId: config.instanceId,
    runTasks: !producer,
    concurrency: 16,
    leaseTtl: config.leaseTtl,
    heartbeatInterval: Math.max(50, Math.floor(config.leaseTtl / 4)),
    takeoverInterval: 250,
    pollInterval: 100,
    logger: false,
  });
  const body = async (ctx: { id: string }, index: number) => {
    appendFileSync(config.runsFile, `start ${ctx.id} ${config.instanceId} ${index}\n`);
    await new Promise((resolve) => setTimeout(resolve, 5 + (index % 10)));
    appendFileSync(config.runsFile, `done ${ctx.id} ${config.instanceId} ${index}\n`);
  };
  manager.define('fleet.plain', body);
  manager.define('fleet.requeue', body, { requeueOnInterrupt: true });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'stop') {
      void manager.stop({ timeout: 5000 }).finally(() => process.exit(0));
    }
  });
  await manager.start();
  process.send?.({ type: 'started' });
  if (!producer) return;
  let next = 0;
  const produce = async () => {
    while (next < config.tasks) {
      const index = next++;
      const name = index % 2 === 0 ? 'fleet.requeue' : 'fleet.plain';
      const id = await manager.enqueue(name, [index]);
      appendFileSync(config.acceptedFile, `${id}\n`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, produce));
  process.send?.({ type: 'enqueued' });
}

main().catch((error: unknown) => {
  process.send?.({
    type: 'error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
});
