// Latency: enqueue-to-start at a steady rate. Task i is enqueued at
// t0 + i / rate (catching up when a timer fires late); its latency is the
// time from just before its enqueue call to the first line of its function,
// both taken with performance.now() in this process.
import { percentile } from '../stats.mjs';

/**
 * @param {import('../systems/system.mjs').System} system
 * @param {{ count: number, warmup: number, rate: number }} options
 */
export async function measureLatency(system, { count, warmup, rate }) {
  const total = warmup + count;
  const enqueuedAt = new Float64Array(total);
  const startedAt = new Float64Array(total).fill(Number.NaN);
  const errors = [];
  const enqueues = [];
  await system.start((i) => {
    startedAt[i] = performance.now();
  });
  const intervalMs = 1000 / rate;
  const t0 = performance.now();
  let next = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + next * intervalMs <= now) {
        const i = next++;
        enqueuedAt[i] = performance.now();
        enqueues.push(system.enqueue(i).catch((error) => errors.push(error)));
      }
      if (next < total) setTimeout(tick, Math.max(0, t0 + next * intervalMs - performance.now()));
      else resolve();
    };
    tick();
  });
  const sentAt = performance.now();
  const sentSeconds = (sentAt - t0) / 1000;
  // Every enqueue call has returned before the system is asked whether it is done.
  await Promise.all(enqueues);
  await system.drained(total);
  // Seconds from the last enqueue until every task had finished: a system
  // slower than the offered rate builds a backlog, and its latency grows with it.
  const backlogSeconds = (performance.now() - sentAt) / 1000;
  await system.stop();
  if (errors.length > 0) throw new Error(`${errors.length} enqueues failed: ${errors[0].message}`);
  const samples = [];
  for (let i = warmup; i < total; i++) samples.push(startedAt[i] - enqueuedAt[i]);
  if (samples.some((value) => Number.isNaN(value))) throw new Error('a task never started');
  return {
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    achievedRate: total / sentSeconds,
    backlogSeconds,
  };
}
