// pg-boss 10 (its newest major that runs on Node 20) on the same PostgreSQL.
import PgBoss from 'pg-boss';
import { PG_URL } from '../services.mjs';
import { once, waitFor } from './system.mjs';

const BATCH_SIZE = 1000;
const POLLING_INTERVAL_SECONDS = 0.5;

/**
 * @param {string} _variant
 * @param {import('./system.mjs').SystemContext} context
 * @returns {Promise<import('./system.mjs').System>}
 */
export async function createPgBoss(_variant, { namespace, concurrency }) {
  const boss = new PgBoss({
    connectionString: PG_URL,
    schema: namespace,
    max: 20,
    supervise: false,
    schedule: false,
  });
  boss.on('error', () => {});
  const name = 'noop';
  let finished = 0;
  const stop = once(() => boss.stop({ graceful: false, wait: true, timeout: 2000 }));
  return {
    async start(onStart) {
      await boss.start();
      await boss.createQueue(name);
      await boss.work(
        name,
        { batchSize: BATCH_SIZE, pollingIntervalSeconds: POLLING_INTERVAL_SECONDS },
        async (jobs) => {
          let next = 0;
          const lane = async () => {
            while (next < jobs.length) onStart(jobs[next++].data.i);
          };
          await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
          finished += jobs.length;
        },
      );
    },
    enqueue: (i) => boss.send(name, { i }),
    enqueueMany: (from, count) =>
      boss.insert(Array.from({ length: count }, (_, k) => ({ name, data: { i: from + k } }))),
    completed: () => finished,
    settled: (n) => waitFor(() => finished >= n, 2),
    async drained(n) {
      // complete() is sent after the handler returns, not awaited: count what reached the table.
      await waitFor(async () => {
        const rows = await boss
          .getDb()
          .executeSql(
            `SELECT count(*)::int AS c FROM "${namespace}".job WHERE name = $1 AND state = 'completed'`,
            [name],
          );
        return rows.rows[0].c >= n;
      }, 20);
    },
    stop,
  };
}
