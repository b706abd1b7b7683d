// What a run measures: the workloads, their sizes, runs and time limits, for
// the full benchmark and for --quick (what CI runs).
import { SYSTEMS } from './systems/index.mjs';

export const FLUSH_KINDS = ['sqlite', 'redis', 'postgres', 'mysql'];

/**
 * @param {{ quick: boolean, runs?: number, only?: string[] }} options
 */
export function makePlan({ quick, runs, only }) {
  const settings = quick
    ? {
        runs: 1,
        throughputN: 2_000,
        throughputWarmup: 2_000,
        throughputWarmupMs: 1_000,
        latencyCount: 500,
        latencyWarmup: 100,
        memoryN: 20_000,
        flushN: 10_000,
      }
    : {
        runs: 5,
        throughputN: 20_000,
        throughputWarmup: 20_000,
        throughputWarmupMs: 4_000,
        latencyCount: 3_000,
        latencyWarmup: 200,
        memoryN: 100_000,
        flushN: 10_000,
      };
  if (runs) settings.runs = runs;
  const pick = (id) => !only || only.some((part) => id.includes(part));
  const concurrency = 32;
  const timeoutMs = quick ? 60_000 : 240_000;
  const systems = SYSTEMS.filter((system) => pick(system.id));
  /** @type {Array<{ workload: string, target: string, params: Record<string, number>, timeoutMs: number }>} */
  const jobs = [
    ...systems.map((system) => ({
      workload: 'throughput',
      target: system.id,
      params: {
        n: settings.throughputN,
        warmup: settings.throughputWarmup,
        warmupMs: settings.throughputWarmupMs,
        inFlight: 32,
        concurrency,
      },
      timeoutMs,
    })),
    ...systems.map((system) => ({
      workload: 'latency',
      target: system.id,
      params: { count: settings.latencyCount, warmup: settings.latencyWarmup, rate: 500, concurrency },
      timeoutMs,
    })),
    ...['errand-memory', 'errand-sqlite-snapshot'].filter(pick).map((target) => ({
      workload: 'memory',
      target,
      params: { n: settings.memoryN, inFlight: 32, concurrency },
      timeoutMs,
    })),
    ...FLUSH_KINDS.filter((kind) => pick(`flush-${kind}`)).map((kind) => ({
      workload: 'flush',
      target: kind,
      params: { n: settings.flushN, maxBatch: 1000 },
      timeoutMs,
    })),
  ];
  return { quick, settings, systems, jobs };
}
