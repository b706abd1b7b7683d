/**
 * One instance of the multi-process scheduler scenario, run as a child
 * process by `runTickChaos()`: a manager with the scheduler firing a
 * one-second job. Every run appends its tick to the runs file first.
 */
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type SnapshotBackend, TaskManager } from '@errand/core';
import { Scheduler } from '../index.js';
import type { TickWorkerConfig } from './tick-chaos.js';

const config = JSON.parse(process.env.ERRAND_TICK_CHAOS ?? '{}') as TickWorkerConfig;

function url(module: string): string {
  return module.startsWith('file:') || !module.startsWith('/') ? module : pathToFileURL(module).href;
}

async function main(): Promise<void> {
  const backendModule = (await import(url(config.backend.module))) as Record<
    string,
    new (
      o: unknown,
    ) => SnapshotBackend
  >;
  const manager = new TaskManager({
    backend: new backendModule[config.backend.exportName]!(config.backend.options),
    instanceId: config.instanceId,
    leaseTtl: 2000,
    heartbeatInterval: 400,
    takeoverInterval: 250,
    logger: false,
  });
  const scheduler = new Scheduler(manager, {
    pollInterval: 100,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  scheduler.add({
    id: 'beat',
    cron: '* * * * * *',
    // The victim's run of a tick stays "active" until its lease expires (2 s): with the default
    // maxInstances of 1 the next ticks would be skipped by design. Every tick must run here.
    maxInstances: 3,
    fn: async (ctx: { idempotencyKey: string | null }) => {
      appendFileSync(config.runsFile, `${ctx.idempotencyKey} ${config.instanceId}\n`);
    },
  });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'stop') {
      void manager.stop({ timeout: 3000 }).finally(() => process.exit(0));
    }
  });
  await manager.start();
  process.send?.({ type: 'started' });
}

main().catch((error: unknown) => {
  process.send?.({
    type: 'error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
});
