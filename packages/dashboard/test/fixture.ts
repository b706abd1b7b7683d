import { type Logger, MemoryBackend, type SnapshotBackend, TaskManager } from '@errand/core';
import { Scheduler } from '@errand/scheduler';
import { createDashboard, type DashboardOptions } from '../src/index.js';

/** A payload that would run script if any value reached the page as markup. */
export const XSS = `<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">`;

/** Lines the dashboard logged, to check the action log. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  debug = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'debug', message, fields });
  info = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'info', message, fields });
  warn = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'warn', message, fields });
  error = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'error', message, fields });
}

/** Tasks held until the test releases them, by key. */
export class Gates {
  readonly #open = new Map<string, () => void>();
  readonly #waiting = new Map<string, Promise<void>>();

  wait(key: string): Promise<void> {
    let promise = this.#waiting.get(key);
    if (!promise) {
      promise = new Promise<void>((resolve) => this.#open.set(key, resolve));
      this.#waiting.set(key, promise);
    }
    return promise;
  }

  release(key: string): void {
    this.wait(key);
    this.#open.get(key)!();
  }
}

export interface Fixture {
  manager: TaskManager;
  scheduler: Scheduler;
  logger: RecordingLogger;
  gates: Gates;
  stop(): Promise<void>;
}

/** A started manager with a few tasks and two scheduled jobs. */
export async function startFixture(backend: SnapshotBackend = new MemoryBackend()): Promise<Fixture> {
  const logger = new RecordingLogger();
  const gates = new Gates();
  const manager = new TaskManager({ backend, logger, snapshotInterval: 50 });
  manager.define('echo', async (_ctx, text: string) => text);
  manager.define(
    'boom',
    async (ctx, message: string) => {
      ctx.log(`about to fail: ${message}`, { payload: message });
      throw new Error(message);
    },
    { retries: 0 },
  );
  const tries = new Map<string, number>();
  manager.define(
    'flaky',
    async (ctx, key: string) => {
      const n = (tries.get(key) ?? 0) + 1;
      tries.set(key, n);
      if (n < 3) throw new Error(`flaky ${key} try ${n}`);
      return n;
    },
    { retries: 2, retryDelay: 1 },
  );
  manager.define('gate', async (ctx, key: string) => {
    ctx.log('waiting at the gate', { key });
    await gates.wait(key);
    return { released: key };
  });
  const scheduler = new Scheduler(manager, { fire: false });
  scheduler.add({ id: 'nightly_backup', cron: '0 2 * * *', timezone: 'UTC', fn: async () => 'backed up' });
  scheduler.add({ id: 'cleanup', every: '6h', fn: async () => 'cleaned' });
  await manager.start();
  return {
    manager,
    scheduler,
    logger,
    gates,
    stop: async () => {
      await manager.stop({ timeout: 500 });
    },
  };
}

/** Dashboard options over a fixture, open to everyone (tests of access pass their own). */
export function openOptions(fixture: Fixture, extra: Partial<DashboardOptions> = {}): DashboardOptions {
  return {
    manager: fixture.manager,
    scheduler: fixture.scheduler,
    basePath: '/tasks/dashboard',
    authorize: () => true,
    logger: fixture.logger,
    ...extra,
  };
}

export { createDashboard };
