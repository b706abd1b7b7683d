// BullMQ on the same Redis: one Queue (producer) and one Worker with the
// run's concurrency, in the same process.
import { Queue, Worker } from 'bullmq';
import { REDIS_URL } from '../services.mjs';
import { once, waitFor } from './system.mjs';

/**
 * @param {string} _variant
 * @param {import('./system.mjs').SystemContext} context
 * @returns {Promise<import('./system.mjs').System>}
 */
export async function createBullmq(_variant, { namespace, concurrency }) {
  const url = new URL(REDIS_URL);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const name = 'noop';
  const queue = new Queue(name, {
    connection,
    prefix: namespace,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
  let worker = null;
  let completed = 0;
  const stop = once(async () => {
    await worker?.close();
    await queue.close();
  });
  return {
    async start(onStart) {
      worker = new Worker(
        name,
        async (job) => {
          onStart(job.data.i);
        },
        { connection, prefix: namespace, concurrency },
      );
      worker.on('completed', () => {
        completed++;
      });
      await worker.waitUntilReady();
      await queue.waitUntilReady();
    },
    enqueue: (i) => queue.add(name, { i }),
    enqueueMany: (from, count) =>
      queue.addBulk(Array.from({ length: count }, (_, k) => ({ name, data: { i: from + k } }))),
    completed: () => completed,
    drained: (n) => waitFor(() => completed >= n, 1),
    settled: (n) => waitFor(() => completed >= n, 1),
    stop,
  };
}
