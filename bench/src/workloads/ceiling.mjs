// Ceiling: rows/s of the raw driver writing one row per statement (or per
// transaction, or per HSET) with `inFlight` writes pending, into a copy of
// Errand's table: the most a durable enqueue that waits for its own write
// could reach on this store, measured in the same run as Errand's figures.
import { SINGLE_ROW_WRITERS } from '../raw/single-row.mjs';
import { createBackend } from '../systems/errand.mjs';
import { finishedRecords } from './flush.mjs';

/**
 * @param {string} kind sqlite | redis | postgres | mysql
 * @param {{ namespace: string, n: number, warmup: number, inFlight: number }} options
 */
export async function measureCeiling(kind, { namespace, n, warmup, inFlight }) {
  // Errand creates its schema; the raw table copies it.
  if (kind !== 'redis') {
    const backend = await createBackend(kind, namespace);
    await backend.open({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
    await backend.close();
  }
  const writer = await SINGLE_ROW_WRITERS[kind](namespace, inFlight);
  try {
    const run = async (records) => {
      let next = 0;
      const lane = async () => {
        while (next < records.length) await writer.insert(records[next++]);
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: inFlight }, lane));
      return performance.now() - started;
    };
    await run(finishedRecords(warmup));
    const ms = await run(finishedRecords(n));
    return { rowsPerSecond: n / (ms / 1000), ms, label: writer.label };
  } finally {
    await writer.close();
  }
}
