import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SqliteBackend } from '@errand/backend-sqlite';
import { TaskManager } from '@errand/core';
import { Scheduler } from '@errand/scheduler';
import { buildApp, DASHBOARD_PATH } from './app.js';
import { declareJobs } from './jobs.js';
import { defineTasks } from './tasks.js';

const dbPath = resolve(process.env.ERRAND_DB ?? './data/tasks.db');
mkdirSync(dirname(dbPath), { recursive: true });

const backend = new SqliteBackend({ path: dbPath });
const manager = new TaskManager({ backend, snapshotInterval: 5_000, concurrency: 8 });
const tasks = defineTasks(manager);
const scheduler = new Scheduler(manager); // starts and stops with the manager
declareJobs(scheduler, backend, dirname(dbPath));
// Demo login of the dashboard; set both variables to anything else outside a demo.
const login = {
  username: process.env.DASHBOARD_USER ?? 'demo',
  password: process.env.DASHBOARD_PASSWORD ?? 'errand-demo',
};
const app = buildApp(manager, tasks, scheduler, login);

manager.on('failed', (task) => console.error(`task ${task.name} ${task.id} failed: ${task.error}`));
manager.on('backendError', (error) => console.error(`backend: ${error.message}`));

await manager.start();
const address = await app.listen({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
});
console.log(`errand example listening on ${address} (tasks in ${dbPath})`);
console.log(`dashboard: ${address}${DASHBOARD_PATH}/ (login ${login.username} / ${login.password})`);
for (const job of await scheduler.list()) console.log(`  ${job.id}: ${job.schedule} → ${job.nextRunIn}`);
console.log(
  `try: curl -X POST ${address}/signup -H 'content-type: application/json' -d '{"email":"ada@example.com"}'`,
);

// Graceful shutdown: stop answering, let running tasks finish (up to 10 s), save the rest.
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  await app.close();
  await manager.stop({ timeout: 10_000 });
  console.log('stopped cleanly');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
