// Runs one measurement in a fresh process and sends its result to the parent
// over IPC: `node --expose-gc child.mjs '<json job>'`.
import { systemById } from './systems/index.mjs';

/**
 * @typedef {object} Job
 * @property {'throughput' | 'latency' | 'memory' | 'flush'} workload
 * @property {string} target a system id, or a backend kind for `flush`
 * @property {string} namespace
 * @property {Record<string, number>} params
 */

async function runJob(/** @type {Job} */ job) {
  const { workload, target, namespace, params } = job;
  if (workload === 'flush') {
    const { measureFlush } = await import('./workloads/flush.mjs');
    return measureFlush(target, { namespace, ...params });
  }
  const create = await systemById(target).load();
  const system = await create({ namespace, concurrency: params.concurrency });
  switch (workload) {
    case 'throughput': {
      const { measureThroughput } = await import('./workloads/throughput.mjs');
      return measureThroughput(system, params);
    }
    case 'latency': {
      const { measureLatency } = await import('./workloads/latency.mjs');
      return measureLatency(system, params);
    }
    case 'memory': {
      const { measureMemory } = await import('./workloads/memory.mjs');
      return measureMemory(system, params);
    }
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

const job = JSON.parse(process.argv[2]);
runJob(job).then(
  (result) => process.send({ ok: true, result }, () => process.exit(0)),
  (error) => process.send({ ok: false, error: error?.stack ?? String(error) }, () => process.exit(1)),
);
