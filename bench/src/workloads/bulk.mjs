// Bulk enqueue (issue #19): time for one bulk call to accept `n` no-op tasks
// (Errand `enqueueMany`, BullMQ `addBulk`, pg-boss `insert`), with the
// system's consumer started as in a server. A warm-up call of `warmup` tasks
// comes first (connections, prepared statements, scripts).

/**
 * @param {import('../systems/system.mjs').System} system
 * @param {{ n: number, warmup: number }} options
 */
export async function measureBulk(system, { n, warmup }) {
  if (!system.enqueueMany) throw new Error('this system has no bulk enqueue');
  await system.start(() => {});
  try {
    await system.enqueueMany(0, warmup);
    await system.settled(warmup);
    const started = performance.now();
    await system.enqueueMany(warmup, n);
    const ms = performance.now() - started;
    return { ms, tasksPerSecond: n / (ms / 1000) };
  } finally {
    await system.stop();
  }
}
