// Throughput: N no-op tasks, enqueued one call at a time by a producer that
// keeps `inFlight` enqueues pending, run with the system's concurrency;
// tasks/s from the first enqueue to the last completion the system recorded.

/**
 * @param {import('../systems/system.mjs').System} system
 * @param {{ n: number, inFlight: number, warmup?: number, warmupMs?: number }} options
 */
export async function measureThroughput(system, { n, inFlight, warmup = 0, warmupMs = 0 }) {
  await system.start(() => {});
  let next = 0;
  const produceUntil = (end) => {
    const producer = async () => {
      while (next < end) {
        const i = next++;
        await system.enqueue(i);
      }
    };
    return Promise.all(Array.from({ length: inFlight }, producer));
  };
  const warmupStarted = performance.now();
  while (next < warmup && performance.now() - warmupStarted < warmupMs) {
    const end = Math.min(warmup, next + 1000);
    await produceUntil(end);
    await system.settled(end);
  }
  const warmed = next;
  const startedAt = performance.now();
  await produceUntil(warmed + n);
  const enqueuedAt = performance.now();
  await system.drained(warmed + n);
  const finishedAt = performance.now();
  await system.stop();
  const seconds = (finishedAt - startedAt) / 1000;
  return {
    tasksPerSecond: n / seconds,
    seconds,
    enqueueSeconds: (enqueuedAt - startedAt) / 1000,
    warmedUp: warmed,
  };
}
