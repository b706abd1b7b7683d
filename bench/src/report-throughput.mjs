// The report's throughput section: every system at 32 and 256 enqueues in
// flight, each durable Errand figure beside its store's ceiling measured in
// the same run (raw single-row writes, the same in-flight count).
import { FLUSH_KINDS, IN_FLIGHT } from './plan.mjs';
import { errorCell, field, int, medianOf, table } from './report-table.mjs';

const throughputKey = (inFlight) => (inFlight === 32 ? 'throughput' : `throughput@${inFlight}`);

/** The store a durable Errand system writes to, or null for any other system. */
export const durableStore = (system) =>
  system.family === 'errand' && system.id.endsWith('-durable') ? system.store : null;

const fraction = (value, ceiling) =>
  value !== null && ceiling ? `${Math.round((value / ceiling) * 100)}%` : '–';

/**
 * @param {{ plan: ReturnType<typeof import('./plan.mjs').makePlan>, get: (workload: string, target: string) => any, cellOf: (summary: any, format: (v: number) => string) => string }} input
 * @returns {string[]} lines
 */
export function renderThroughput({ plan, get, cellOf }) {
  const { settings } = plan;
  const ceiling = (kind, inFlight) => medianOf(get(`ceiling@${inFlight}`, kind), 'rowsPerSecond');
  const rows = plan.systems.map((system) => {
    const cells = [system.label];
    const store = durableStore(system);
    for (const inFlight of IN_FLIGHT) {
      const outcome = get(throughputKey(inFlight), system.id);
      if (!outcome) cells.push('–');
      else if (outcome.results.length === 0) cells.push(errorCell(outcome));
      else cells.push(cellOf(field(outcome, 'tasksPerSecond'), int));
    }
    for (const inFlight of IN_FLIGHT) {
      const tps = medianOf(get(throughputKey(inFlight), system.id), 'tasksPerSecond');
      cells.push(store ? fraction(tps, ceiling(store, inFlight)) : '');
    }
    const outcome = get('throughput', system.id);
    cells.push(
      outcome?.results.length ? cellOf(field(outcome, 'enqueueSeconds'), (v) => v.toFixed(2)) : '–',
      outcome?.results.length ? cellOf(field(outcome, 'warmedUp'), int) : '–',
    );
    return cells;
  });
  const ceilingRows = FLUSH_KINDS.flatMap((kind) => {
    const outcomes = IN_FLIGHT.map((inFlight) => get(`ceiling@${inFlight}`, kind));
    if (outcomes.every((outcome) => !outcome)) return [];
    const method = outcomes.find((outcome) => outcome?.results.length)?.results[0].label ?? '';
    return [
      [
        kind,
        ...outcomes.map((outcome) =>
          !outcome
            ? '–'
            : outcome.results.length === 0
              ? errorCell(outcome)
              : cellOf(field(outcome, 'rowsPerSecond'), int),
        ),
        method,
      ],
    ];
  });
  return [
    '## Throughput',
    '',
    `${int(settings.throughputN)} no-op tasks, enqueued one call at a time with 32 (and, separately, 256) ` +
      'enqueues in flight, run with concurrency 32; tasks/s from the first enqueue to the moment the system had ' +
      "recorded the last completion (Errand: the last `success` plus `stop()`'s final flush; BullMQ: the last " +
      '`completed` event; pg-boss: the last row in state `completed`; graphile-worker: the job table empty). ' +
      `Before it, untimed and in the same process, a warm-up of up to ${int(settings.throughputWarmup)} tasks ` +
      `or ${settings.throughputWarmupMs / 1000} s, whichever ends first (rounds of 1,000): V8 optimises ` +
      "Errand's hot path only after some 20,000 calls, which a server that has been up a while is past; " +
      'the last column shows how many warm-up tasks each system got through (32 in flight). ' +
      'The "of ceiling" columns set each durable Errand figure against its store\'s ceiling below, ' +
      'at the same in-flight count.',
    '',
    table(
      [
        'system',
        ...IN_FLIGHT.map((n) => `tasks/s, ${n} in flight`),
        ...IN_FLIGHT.map((n) => `of ceiling, ${n}`),
        'enqueue phase (s)',
        'warm-up tasks',
      ],
      rows,
    ),
    '',
    '![throughput](throughput.png)',
    '',
    '### Ceiling of each store',
    '',
    `What one durable task at a time can cost at best: ${int(settings.ceilingN)} rows written by the raw ` +
      "driver, one row per statement (or per transaction, or per HSET), into a copy of Errand's table (same " +
      'columns and indexes; Redis: a plain hash), with the same number of writes in flight; rows/s. Pools hold ' +
      'at most 64 connections (the servers allow 100, shared with other work).',
    '',
    table(['store', ...IN_FLIGHT.map((n) => `rows/s, ${n} in flight`), 'method'], ceilingRows, ['method']),
    '',
  ];
}
