// Runs one measurement in a fresh process and sends its result to the parent
// over IPC: `node --expose-gc child.mjs '<json job>'`.
import { systemById } from './systems/index.mjs';

/**
 * @typedef {object} Job
 * @property {string} workload throughput, latency, memory, bulk, server (a system), flush, ceiling,
 *   retention (a backend kind), fleet, fleet-latency (a fleet target); `@suffix` tells variants apart
 * @property {string} target a system id, a backend kind or a fleet target
 * @property {string} namespace
 * @property {Record<string, number>} params
 */

/** Workloads that take a backend kind or a fleet target instead of a system. */
const BY_KIND = {
  flush: async () => (await import('./workloads/flush.mjs')).measureFlush,
  ceiling: async () => (await import('./workloads/ceiling.mjs')).measureCeiling,
  retention: async () => (await import('./workloads/retention.mjs')).measureRetention,
  fleet: async () => (await import('./workloads/fleet.mjs')).measureFleet,
  'fleet-latency': async () => (await import('./workloads/fleet.mjs')).measureFleetLatency,
};

/** Workloads that drive one system of systems/index.mjs. */
const BY_SYSTEM = {
  throughput: async () => (await import('./workloads/throughput.mjs')).measureThroughput,
  latency: async () => (await import('./workloads/latency.mjs')).measureLatency,
  memory: async () => (await import('./workloads/memory.mjs')).measureMemory,
  bulk: async () => (await import('./workloads/bulk.mjs')).measureBulk,
  server: async () => (await import('./workloads/server.mjs')).measureServer,
};

async function runJob(/** @type {Job} */ job) {
  const { workload, target, namespace, params } = job;
  // `throughput@256`: the same workload with other parameters, reported apart.
  const kind = workload.split('@')[0];
  if (BY_KIND[kind]) return (await BY_KIND[kind]())(target, { namespace, ...params });
  if (!BY_SYSTEM[kind]) throw new Error(`unknown workload ${workload}`);
  const measure = await BY_SYSTEM[kind]();
  const create = await systemById(target).load();
  const system = await create({ namespace, concurrency: params.concurrency });
  return measure(system, params);
}

const job = JSON.parse(process.argv[2]);
runJob(job).then(
  (result) => process.send({ ok: true, result }, () => process.exit(0)),
  (error) => process.send({ ok: false, error: error?.stack ?? String(error) }, () => process.exit(1)),
);
