// Memory: RSS and heap after `n` finished tasks with the default maxRecords,
// and heap bytes per record retained in memory (growth over the heap of the
// started, empty manager). Needs --expose-gc.

async function settle() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * @param {import('../systems/system.mjs').System & { manager: import('@errand/core').TaskManager }} system
 * @param {{ n: number, inFlight: number }} options
 */
export async function measureMemory(system, { n, inFlight }) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  const { manager } = system;
  let finished = 0;
  manager.on('success', () => {
    finished++;
  });
  await system.start(() => {});
  await settle();
  const before = process.memoryUsage();
  let next = 0;
  const producer = async () => {
    while (next < n) {
      const i = next++;
      await system.enqueue(i);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, producer));
  while (finished < n) await new Promise((resolve) => setTimeout(resolve, 5));
  // Let the last finished records reach the backend (eviction waits for that).
  while ((manager.stats().backend?.dirty ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await settle();
  const after = process.memoryUsage();
  const retained = manager.stats().retained;
  await system.stop();
  return {
    rssMiB: after.rss / 2 ** 20,
    heapMiB: after.heapUsed / 2 ** 20,
    retained,
    bytesPerRecord: (after.heapUsed - before.heapUsed) / retained,
  };
}
