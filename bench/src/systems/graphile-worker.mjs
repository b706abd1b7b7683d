// graphile-worker 0.17 on the same PostgreSQL, in its default mode or with
// its batching features (local queue, batched job completion).
import { run } from 'graphile-worker';
import pg from 'pg';
import { PG_URL } from '../services.mjs';
import { once, waitFor } from './system.mjs';

/**
 * @param {'default' | 'batched'} variant
 * @param {import('./system.mjs').SystemContext} context
 * @returns {Promise<import('./system.mjs').System>}
 */
export async function createGraphileWorker(variant, { namespace, concurrency }) {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 40 });
  pool.on('error', () => {});
  const worker =
    variant === 'batched'
      ? { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 }
      : {};
  const { Logger } = await import('graphile-worker');
  let runner = null;
  let finished = 0;
  const stop = once(async () => {
    await runner?.stop();
    await pool.end();
  });
  return {
    async start(onStart) {
      runner = await run({
        pgPool: pool,
        schema: namespace,
        concurrency,
        noHandleSignals: true,
        logger: new Logger(() => () => {}),
        taskList: {
          noop: async (payload) => {
            onStart(payload.i);
            finished++;
          },
        },
        preset: { worker },
      });
    },
    enqueue: (i) => runner.addJob('noop', { i }),
    completed: () => finished,
    settled: (n) => waitFor(() => finished >= n, 2),
    async drained() {
      // A finished job is deleted from the table, in batches with completeJobBatchDelay.
      await waitFor(async () => {
        const result = await pool.query(`SELECT count(*)::int AS c FROM "${namespace}"._private_jobs`);
        return result.rows[0].c === 0;
      }, 20);
    },
    stop,
  };
}
