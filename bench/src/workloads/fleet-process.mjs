// One process of a fleet measurement (forked by fleet.mjs): an Errand or
// BullMQ producer that only enqueues, or a worker that only runs. Times are
// process.hrtime (CLOCK_MONOTONIC, the same clock in every process of the
// machine), in ms, so a start in a worker can be set against an enqueue in
// the producer.
//
//   node fleet-process.mjs '{"role":"producer"|"worker","system":"errand-postgres"|"bullmq",...}'
//
// Messages to the coordinator: { ready } once started; a worker sends
// { count, lastAt } every 20 ms, and { count, lastAt, samples } once stopped;
// the producer answers { firstAt, lastAt, errors } once it has enqueued.
import { REDIS_URL } from '../services.mjs';

const mono = () => Number(process.hrtime.bigint() / 1000n) / 1000;

const options = JSON.parse(process.argv[2]);
const { role, system, namespace, concurrency } = options;
// The coordinator died or was killed: never outlive it.
process.on('disconnect', () => process.exit(1));

async function errand() {
  const kind = system.replace('errand-', '');
  const { createBackend } = await import('../systems/errand.mjs');
  const { TaskManager } = await import('@errand/core');
  const backend = await createBackend(kind, namespace);
  const manager = new TaskManager({
    backend,
    dispatch: 'shared',
    runTasks: role === 'worker',
    concurrency,
    logger: false,
  });
  return {
    async start(onStart, onDone) {
      manager.define('noop', async (_ctx, payload) => {
        onStart(payload);
      });
      manager.on('success', onDone);
      await manager.start();
    },
    enqueue: (payload) => manager.enqueue('noop', [payload]),
    stop: () => manager.stop(),
  };
}

async function bullmq() {
  const { Queue, Worker } = await import('bullmq');
  const url = new URL(REDIS_URL);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const queue = new Queue('noop', {
    connection,
    prefix: namespace,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
  let worker = null;
  return {
    async start(onStart, onDone) {
      if (role === 'worker') {
        worker = new Worker('noop', async (job) => onStart(job.data), {
          connection,
          prefix: namespace,
          concurrency,
        });
        worker.on('completed', onDone);
        await worker.waitUntilReady();
      }
      await queue.waitUntilReady();
    },
    enqueue: (payload) => queue.add('noop', payload),
    async stop() {
      await worker?.close();
      await queue.close();
    },
  };
}

/** `total` enqueues: `inFlight` at a time, or one every 1000 / `rate` ms when `rate` is set. */
async function produce(target, { total, inFlight, rate }) {
  let firstAt = Number.NaN;
  const errors = [];
  const enqueue = (i) => {
    const t = mono();
    if (i === 0) firstAt = t;
    return target.enqueue({ i, t }).catch((error) => errors.push(error.message));
  };
  let next = 0;
  if (rate) {
    const pending = [];
    const t0 = mono();
    await new Promise((resolve) => {
      const tick = () => {
        while (next < total && t0 + (next * 1000) / rate <= mono()) pending.push(enqueue(next++));
        if (next < total) setTimeout(tick, Math.max(0, t0 + (next * 1000) / rate - mono()));
        else resolve();
      };
      tick();
    });
    await Promise.all(pending);
  } else {
    const lane = async () => {
      while (next < total) await enqueue(next++);
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  }
  return { firstAt, lastAt: mono(), errors: errors.length, error: errors[0] };
}

async function main() {
  const target = system === 'bullmq' ? await bullmq() : await errand();
  let count = 0;
  let lastAt = Number.NaN;
  const samples = [];
  await target.start(
    ({ t }) => {
      if (options.samples) samples.push(mono() - t);
    },
    () => {
      count++;
      lastAt = mono();
    },
  );
  let reported = -1;
  const timer =
    role === 'worker'
      ? setInterval(() => {
          if (count !== reported) process.send({ count, lastAt });
          reported = count;
        }, 20)
      : null;
  process.on('message', async (message) => {
    if (message.cmd === 'produce') process.send(await produce(target, message));
    else if (message.cmd === 'stop') {
      clearInterval(timer);
      await target.stop();
      process.send({ count, lastAt, samples: options.samples ? samples : [], stopped: true }, () =>
        process.exit(0),
      );
    }
  });
  process.send({ ready: true });
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
