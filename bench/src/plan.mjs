// What a run measures: the workloads, their sizes, runs and time limits, for
// the full benchmark and for --quick (what CI runs).
import { SYSTEMS } from './systems/index.mjs';

export const FLUSH_KINDS = ['sqlite', 'redis', 'postgres', 'mysql'];
/** Enqueues in flight of the throughput table and of the ceilings beside it. */
export const IN_FLIGHT = [32, 256];
export const FLEET_TARGETS = ['errand-postgres', 'errand-redis', 'bullmq'];
export const FLEET_WORKERS = [1, 2, 4];
export const FLEET_LATENCY_KINDS = ['postgres', 'redis', 'mysql', 'sqlite'];
export const BULK_SYSTEMS = [...FLUSH_KINDS.map((kind) => `errand-${kind}-durable`), 'bullmq', 'pg-boss'];
export const RETENTION_KINDS = ['sqlite', 'postgres', 'mysql'];
export const SERVER_SYSTEMS = BULK_SYSTEMS;
export const SERVER_CONNECTIONS = [32, 256];
// --quick (CI's smoke test, a few minutes in all) runs each workload once on
// each store but skips the repeats: 256 in flight only where a target needs
// it (durable PostgreSQL and MySQL against their own 32), ceilings at 32 only,
// the fleet with 2 workers only, the server with 32 connections only.
const QUICK_AT_256 = /^errand-(postgres|mysql)-durable$/;
const QUICK_FLEET_WORKERS = [2];
const QUICK_SERVER_CONNECTIONS = [32];

/**
 * @param {{ quick: boolean, runs?: number, only?: string[] }} options
 */
export function makePlan({ quick, runs, only }) {
  const settings = quick
    ? {
        runs: 1,
        throughputN: 1_000,
        throughputWarmup: 1_000,
        throughputWarmupMs: 500,
        latencyCount: 500,
        latencyWarmup: 100,
        memoryN: 20_000,
        flushN: 10_000,
        ceilingN: 500,
        fleetN: 1_000,
        fleetLatencyCount: 200,
        bulkN: 1_000,
        retentionN: 20_000,
        retentionBaselineMs: 500,
        serverSeconds: 1,
        serverDrainMs: 2_000,
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
        ceilingN: 10_000,
        fleetN: 20_000,
        fleetLatencyCount: 3_000,
        bulkN: 10_000,
        retentionN: 1_000_000,
        retentionBaselineMs: 3_000,
        serverSeconds: 20,
        serverDrainMs: 10_000,
      };
  if (runs) settings.runs = runs;
  const pick = (id) => !only || only.some((part) => id.includes(part));
  const concurrency = 32;
  const timeoutMs = quick ? 60_000 : 240_000;
  // `--only=@256` picks the 256-in-flight rows alone; a system id picks both.
  const systems = SYSTEMS.filter((system) => pick(`${system.id}@256`));
  /** @type {Array<{ workload: string, target: string, params: Record<string, number>, timeoutMs: number, runs?: number }>} */
  const jobs = [
    ...IN_FLIGHT.flatMap((inFlight) =>
      systems
        .filter((system) =>
          inFlight === 32
            ? pick(system.id)
            : pick(`${system.id}@${inFlight}`) && (!quick || QUICK_AT_256.test(system.id)),
        )
        .map((system) => ({
          workload: inFlight === 32 ? 'throughput' : `throughput@${inFlight}`,
          target: system.id,
          params: {
            n: settings.throughputN,
            warmup: settings.throughputWarmup,
            warmupMs: settings.throughputWarmupMs,
            inFlight,
            concurrency,
          },
          timeoutMs,
        })),
    ),
    ...IN_FLIGHT.flatMap((inFlight) =>
      FLUSH_KINDS.filter((kind) => pick(`ceiling-${kind}@${inFlight}`) && (!quick || inFlight === 32)).map(
        (kind) => ({
          workload: `ceiling@${inFlight}`,
          target: kind,
          params: { n: settings.ceilingN, warmup: Math.min(2_000, settings.ceilingN / 4), inFlight },
          timeoutMs,
        }),
      ),
    ),
    ...systems
      .filter((system) => pick(system.id))
      .map((system) => ({
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
    ...(quick ? QUICK_FLEET_WORKERS : FLEET_WORKERS).flatMap((workers) =>
      FLEET_TARGETS.filter((target) => pick(`fleet-${target}-w${workers}`)).map((target) => ({
        workload: `fleet@${workers}`,
        target,
        params: { n: settings.fleetN, workers, inFlight: 32, concurrency },
        timeoutMs,
      })),
    ),
    ...FLEET_LATENCY_KINDS.filter((kind) => pick(`fleet-latency-errand-${kind}`)).map((kind) => ({
      workload: 'fleet-latency',
      target: `errand-${kind}`,
      params: { count: settings.fleetLatencyCount, warmup: settings.latencyWarmup, rate: 500, concurrency },
      timeoutMs,
    })),
    ...BULK_SYSTEMS.filter((id) => pick(`bulk-${id}`)).map((id) => ({
      workload: 'bulk',
      target: id,
      params: { n: settings.bulkN, warmup: settings.bulkN / 10, concurrency },
      timeoutMs,
    })),
    ...RETENTION_KINDS.filter((kind) => pick(`retention-${kind}`)).map((kind) => ({
      workload: 'retention',
      target: kind,
      params: { n: settings.retentionN, rate: 200, baselineMs: settings.retentionBaselineMs, concurrency },
      timeoutMs: quick ? timeoutMs : 900_000,
      // A million-record cleanup takes minutes and averages thousands of enqueues: one run.
      runs: 1,
    })),
    ...(quick ? QUICK_SERVER_CONNECTIONS : SERVER_CONNECTIONS).flatMap((connections) =>
      SERVER_SYSTEMS.filter((id) => pick(`server-${id}@${connections}`)).map((id) => ({
        workload: `server@${connections}`,
        target: id,
        params: {
          connections,
          seconds: settings.serverSeconds,
          drainMs: settings.serverDrainMs,
          concurrency,
        },
        timeoutMs,
      })),
    ),
  ];
  return { quick, settings, systems, jobs };
}
