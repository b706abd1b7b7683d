// Flush cost: time for an Errand backend to write `n` finished records in
// the batches the manager uses (maxBatch, one write in flight at a time),
// beside the raw driver writing the same rows the fastest way it can.
import { makeRecord } from '@errand/core/testing';
import { RAW_WRITERS } from '../raw/index.mjs';
import { createBackend } from '../systems/errand.mjs';

/**
 * `n` records as a manager flushes them after a no-op task succeeded; built
 * on the core's own test fixture, so that they carry every field the
 * current record has.
 */
export function finishedRecords(n) {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) =>
    makeRecord({
      name: 'noop',
      args: [{ i }],
      status: 'success',
      attempt: 1,
      createdAt: now + i,
      startedAt: now + i,
      finishedAt: now + i + 1,
      duration: 1,
      runAt: now + i,
      owner: 'bench-instance',
    }),
  );
}

async function timeBatches(write, records, maxBatch) {
  const started = performance.now();
  for (let i = 0; i < records.length; i += maxBatch) await write(records.slice(i, i + maxBatch));
  return performance.now() - started;
}

/**
 * @param {string} kind sqlite | redis | postgres | mysql
 * @param {{ namespace: string, n: number, maxBatch: number }} options
 */
export async function measureFlush(kind, { namespace, n, maxBatch }) {
  const backend = await createBackend(kind, namespace);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  await backend.open({ logger: silent });
  const raw = await (await RAW_WRITERS[kind]())(namespace);
  try {
    // Warm both paths (connections, prepared statements, scripts) on a few rows.
    await backend.write(finishedRecords(10));
    await raw.write(finishedRecords(10));
    const errandMs = await timeBatches((batch) => backend.write(batch), finishedRecords(n), maxBatch);
    const rawMs = await timeBatches((batch) => raw.write(batch), finishedRecords(n), maxBatch);
    return { errandMs, rawMs, ratio: errandMs / rawMs, rawLabel: raw.label };
  } finally {
    await raw.close();
    await backend.close();
  }
}
