import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskManager } from '@errand/core';

/**
 * The example's background work. Each function gets `ctx` (id, attempt,
 * signal, log, progress) and the JSON arguments it was enqueued with.
 */
export function defineTasks(manager: TaskManager) {
  const sendWelcomeEmail = manager.define(
    'sendWelcomeEmail',
    async (ctx, email: string) => {
      ctx.log('rendering template', { email });
      await sleep(50, undefined, { signal: ctx.signal });
      // A flaky mail provider: the first attempt of some addresses fails, and the retry succeeds.
      if (email.includes('flaky') && ctx.attempt === 1) throw new Error('SMTP 421: try again later');
      ctx.log('sent');
      return { delivered: true, to: email };
    },
    { retries: 3, retryDelay: 200, backoff: 2, jitter: 0.2, timeout: 10_000 },
  );

  const buildReport = manager.define(
    'buildReport',
    async (ctx, month: string) => {
      // 'weekly' comes from the scheduled job; routes pass YYYY-MM.
      for (let step = 1; step <= 5; step++) {
        await sleep(40, undefined, { signal: ctx.signal });
        ctx.progress(step * 20);
      }
      ctx.log('report ready', { month });
      return { month, rows: 42 };
    },
    // Rebuilding a report twice is harmless, so an interrupted one runs again after a restart.
    { requeueOnInterrupt: true, concurrency: 2 },
  );

  return { sendWelcomeEmail, buildReport };
}
