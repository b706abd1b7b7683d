// The report's fleet section (issue 18): shared-dispatch throughput with 1,
// 2 and 4 worker processes beside BullMQ, and enqueue-to-start latency of
// shared tasks across processes on every store.
import { FLEET_LATENCY_KINDS, FLEET_TARGETS, FLEET_WORKERS } from './plan.mjs';
import { errorCell, field, int, ms, table } from './report-table.mjs';

const TARGET_LABELS = {
  'errand-postgres': 'Errand + PostgreSQL, shared',
  'errand-redis': 'Errand + Redis, shared',
  'errand-mysql': 'Errand + MySQL (MariaDB), shared',
  'errand-sqlite': 'Errand + SQLite, shared',
  bullmq: 'BullMQ 6 (Redis)',
};

/**
 * @param {{ plan: any, get: (workload: string, target: string) => any, cellOf: (summary: any, format: (v: number) => string) => string }} input
 * @returns {string[]} lines
 */
export function renderFleet({ plan, get, cellOf }) {
  const { settings } = plan;
  const throughputRows = FLEET_TARGETS.filter((target) =>
    FLEET_WORKERS.some((w) => get(`fleet@${w}`, target)),
  ).map((target) => [
    TARGET_LABELS[target],
    ...FLEET_WORKERS.map((w) => {
      const outcome = get(`fleet@${w}`, target);
      if (!outcome) return '–';
      if (outcome.results.length === 0) return errorCell(outcome);
      return cellOf(field(outcome, 'tasksPerSecond'), int);
    }),
  ]);
  const latencyRows = FLEET_LATENCY_KINDS.map((kind) => [kind, get('fleet-latency', `errand-${kind}`)])
    .filter(([, outcome]) => outcome)
    .map(([kind, outcome]) =>
      outcome.results.length === 0
        ? [TARGET_LABELS[`errand-${kind}`], errorCell(outcome), '', '', '']
        : [
            TARGET_LABELS[`errand-${kind}`],
            ...['p50', 'p95', 'p99'].map((p) => cellOf(field(outcome, p), ms)),
            cellOf(field(outcome, 'backlogSeconds'), (v) => v.toFixed(2)),
          ],
    );
  if (throughputRows.length === 0 && latencyRows.length === 0) return [];
  return [
    '## Fleet: shared dispatch across processes',
    '',
    `One producer-only process (\`runTasks: false\`, \`dispatch: 'shared'\`) enqueues ${int(settings.fleetN)} ` +
      "no-op tasks, 32 enqueues in flight; W worker processes (`dispatch: 'shared'`, concurrency 32 each; " +
      'BullMQ: one Worker with concurrency 32 per process, the producer a Queue in its own process) run them. ' +
      'tasks/s from the first enqueue to the last completion in any worker (`success` event; BullMQ: ' +
      '`completed`), on one clock (CLOCK_MONOTONIC) shared by the processes. All processes share this ' +
      "machine's cores with the store.",
    '',
    table(['system', ...FLEET_WORKERS.map((w) => `tasks/s, ${w} worker${w > 1 ? 's' : ''}`)], throughputRows),
    '',
    `Enqueue-to-start latency of shared tasks at a steady 500 tasks/s: the producer and one worker in separate ` +
      `processes, ${int(settings.fleetLatencyCount)} measured tasks after ${int(settings.latencyWarmup)} warm-up ` +
      'ones; ms from just before the enqueue call (producer) to the first line of the task (worker). ' +
      'PostgreSQL and Redis wake the worker when work is stored; MySQL and SQLite are polled every ' +
      '`pollInterval` (1 s, the default). The last column: seconds from the last enqueue to the last completion.',
    '',
    table(['system', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'drain after last enqueue (s)'], latencyRows),
    '',
  ];
}
