// Retention cleanup (issue #19): `n` finished records past their retention
// (default retention, success 7 days; pre-filled with raw multi-row INSERTs,
// raw/prefill.mjs), deleted by `runRetention()` rounds until none is left,
// while durable enqueues of the same manager run at a steady `rate`. Reports
// the cleanup time and the enqueue latency (call to resolve, the task
// stored) during it, beside the same latency just before it.
import { TaskManager } from '@errand/core';
import { PREFILLERS } from '../raw/prefill.mjs';
import { percentile } from '../stats.mjs';
import { createBackend } from '../systems/errand.mjs';
import { waitFor } from '../systems/system.mjs';

const DAY = 86_400_000;

/** Enqueues at `rate` per second until `until()` says stop; resolves with each call's latency. */
async function enqueueAtRate(enqueue, rate, until) {
  const samples = [];
  const errors = [];
  const pending = [];
  const t0 = performance.now();
  let next = 0;
  await new Promise((resolve) => {
    const tick = () => {
      while (t0 + (next * 1000) / rate <= performance.now() && !until()) {
        next++;
        const at = performance.now();
        pending.push(
          enqueue().then(
            () => samples.push(performance.now() - at),
            (error) => errors.push(error),
          ),
        );
      }
      if (until()) resolve();
      else setTimeout(tick, Math.max(0, t0 + (next * 1000) / rate - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  if (errors.length > 0) throw new Error(`${errors.length} enqueues failed: ${errors[0].message}`);
  return samples;
}

/** p50, p99, max and count of `samples`, as flat fields named `<prefix>P50`... */
const summary = (prefix, samples) => ({
  [`${prefix}P50`]: percentile(samples, 50),
  [`${prefix}P99`]: percentile(samples, 99),
  [`${prefix}Max`]: samples.length > 0 ? Math.max(...samples) : Number.NaN,
  [`${prefix}Count`]: samples.length,
});

/**
 * @param {string} kind sqlite | postgres | mysql
 * @param {{ namespace: string, n: number, rate: number, baselineMs: number, concurrency: number }} options
 */
export async function measureRetention(kind, { namespace, n, rate, baselineMs, concurrency }) {
  const backend = await createBackend(kind, namespace);
  const manager = new TaskManager({ backend, durability: 'durable', concurrency, logger: false });
  const handle = manager.define('noop', async () => {});
  await manager.start();
  try {
    // One real finished record, written by Errand: the template of the copies.
    const templateId = await handle.enqueue([{ i: 0 }]);
    await manager.result(templateId, { timeout: 10_000 });
    await waitFor(async () => (await manager.query({ status: 'success', limit: 1 })).records.length > 0, 20);
    const prefillStarted = performance.now();
    await PREFILLERS[kind](namespace, templateId, n, Date.now() - 10 * DAY - n);
    const prefillSeconds = (performance.now() - prefillStarted) / 1000;

    let i = 1;
    const enqueue = () => handle.enqueue([{ i: i++ }]);
    const baselineEnd = performance.now() + baselineMs;
    const before = await enqueueAtRate(enqueue, rate, () => performance.now() >= baselineEnd);

    let deleted = 0;
    let rounds = 0;
    let cleaning = true;
    const started = performance.now();
    const during = enqueueAtRate(enqueue, rate, () => !cleaning);
    try {
      for (;;) {
        const count = await manager.runRetention();
        rounds++;
        deleted += count;
        if (count === 0 || deleted >= n) break;
      }
    } finally {
      cleaning = false;
    }
    const cleanupSeconds = (performance.now() - started) / 1000;
    const samples = await during;
    if (deleted < n) throw new Error(`retention deleted ${deleted} of ${n} records`);
    return {
      deleted,
      rounds,
      prefillSeconds,
      cleanupSeconds,
      recordsPerSecond: deleted / cleanupSeconds,
      ...summary('before', before),
      ...summary('during', samples),
    };
  } finally {
    await manager.stop();
  }
}
