// The targets of issue 23 (throughput against BullMQ and each store's
// ceiling, the server workload, memory), then those of issues 18 (fleet)
// and 19 (retention), each with the figure that meets or misses it.
import { RETENTION_KINDS, SERVER_CONNECTIONS } from './plan.mjs';
import { int, medianOf, ms, table } from './report-table.mjs';

const POLL_INTERVAL_MS = 1000;
const ratio = (a, b) => (a !== null && b ? `${(a / b).toFixed(2)}×` : '–');
const status = (met) => (met === null ? 'not measured' : met ? 'met' : '**missed**');

/** @param {(workload: string, target: string) => any} get */
export function renderTargets(get) {
  const median = (workload, id, name) => medianOf(get(workload, id), name);
  const tps = (id, inFlight = 32) =>
    median(inFlight === 32 ? 'throughput' : `throughput@${inFlight}`, id, 'tasksPerSecond');
  const rows = [];
  const check = (target, figure, met) => rows.push([target, figure, status(met)]);
  const known = (...values) => values.every((v) => v !== null && v !== undefined);

  const sqlite = tps('errand-sqlite-durable');
  check(
    'durable + SQLite ≥ 50,000 tasks/s, 32 in flight',
    `${int(sqlite ?? 0)} tasks/s`,
    known(sqlite) ? sqlite >= 50_000 : null,
  );
  const redis = tps('errand-redis-durable');
  const bull = tps('bullmq');
  check(
    'durable + Redis ≥ 3× BullMQ, 32 in flight',
    `${ratio(redis, bull)} (${int(redis ?? 0)} vs ${int(bull ?? 0)} tasks/s)`,
    known(redis, bull) ? redis >= 3 * bull : null,
  );
  for (const [kind, name] of [
    ['postgres', 'PostgreSQL'],
    ['mysql', 'MySQL'],
  ]) {
    const at32 = tps(`errand-${kind}-durable`);
    const at256 = tps(`errand-${kind}-durable`, 256);
    const ceiling = median('ceiling@32', kind, 'rowsPerSecond');
    check(
      `durable + ${name} ≥ 0.9× its ceiling, 32 in flight`,
      `${ratio(at32, ceiling)} (${int(at32 ?? 0)} vs ${int(ceiling ?? 0)} rows/s)`,
      known(at32, ceiling) ? at32 >= 0.9 * ceiling : null,
    );
    check(
      `durable + ${name} at 256 in flight ≥ 3× its figure at 32`,
      `${ratio(at256, at32)} (${int(at256 ?? 0)} vs ${int(at32 ?? 0)} tasks/s)`,
      known(at256, at32) ? at256 >= 3 * at32 : null,
    );
  }
  for (const connections of SERVER_CONNECTIONS) {
    const workload = `server@${connections}`;
    const errand = ['sqlite', 'redis', 'postgres', 'mysql']
      .map((kind) => ({
        kind,
        rps: median(workload, `errand-${kind}-durable`, 'requestsPerSecond'),
        p99: median(workload, `errand-${kind}-durable`, 'p99'),
      }))
      .filter((e) => e.rps !== null);
    const peers = ['bullmq', 'pg-boss']
      .map((id) => ({ id, rps: median(workload, id, 'requestsPerSecond'), p99: median(workload, id, 'p99') }))
      .filter((p) => p.rps !== null);
    if (errand.length === 0 || peers.length === 0) {
      check(`server, ${connections} connections: Errand durable ≥ 2× BullMQ and pg-boss req/s`, '–', null);
      check(`server, ${connections} connections: Errand durable p99 below theirs`, '–', null);
      continue;
    }
    const slowest = errand.reduce((a, b) => (b.rps < a.rps ? b : a));
    const fastestPeer = peers.reduce((a, b) => (b.rps > a.rps ? b : a));
    check(
      `server, ${connections} connections: Errand durable ≥ 2× BullMQ and pg-boss req/s`,
      `slowest Errand store (${slowest.kind}) ${ratio(slowest.rps, fastestPeer.rps)} the fastest peer ` +
        `(${fastestPeer.id}): ${int(slowest.rps)} vs ${int(fastestPeer.rps)} req/s`,
      slowest.rps >= 2 * fastestPeer.rps,
    );
    const worst = errand.reduce((a, b) => (b.p99 > a.p99 ? b : a));
    const bestPeer = peers.reduce((a, b) => (b.p99 < a.p99 ? b : a));
    check(
      `server, ${connections} connections: Errand durable p99 below theirs`,
      `worst Errand p99 ${ms(worst.p99)} ms (${worst.kind}) vs best peer ${ms(bestPeer.p99)} ms (${bestPeer.id})`,
      worst.p99 < bestPeer.p99,
    );
  }
  const bytes = median('memory', 'errand-memory', 'bytesPerRecord');
  check(
    'under 1 KiB per retained record (in memory)',
    bytes === null ? '–' : `${int(bytes)} B`,
    bytes === null ? null : bytes < 1024,
  );
  return table(['target', 'measured', 'status'], rows, ['measured', 'status']);
}

/** @param {(workload: string, target: string) => any} get */
export function renderFleetTargets(get) {
  const rows = [];
  const check = (target, figure, met) => rows.push([target, figure, status(met)]);
  for (const [kind, limit, text] of [
    ['postgres', 5, '5 ms'],
    ['redis', 5, '5 ms'],
    ['mysql', POLL_INTERVAL_MS, 'pollInterval (1 s)'],
    ['sqlite', POLL_INTERVAL_MS, 'pollInterval (1 s)'],
  ]) {
    const p50 = medianOf(get('fleet-latency', `errand-${kind}`), 'p50');
    check(
      `issue 18: shared task p50 enqueue-to-start < ${text}, ${kind}`,
      p50 === null ? '–' : `${ms(p50)} ms`,
      p50 === null ? null : p50 < limit,
    );
  }
  for (const kind of RETENTION_KINDS) {
    const max = medianOf(get('retention', kind), 'duringMax');
    check(
      `issue 19: no enqueue blocked > 50 ms during retention cleanup, ${kind}`,
      max === null ? '–' : `slowest enqueue ${ms(max)} ms`,
      max === null ? null : max <= 50,
    );
  }
  return table(['target', 'measured', 'status'], rows, ['measured', 'status']);
}
