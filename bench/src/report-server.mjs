// The report's server-shaped workload (issue 23): req/s and latency of a
// node:http handler that enqueues one durable task, under autocannon.
import { SERVER_CONNECTIONS, SERVER_SYSTEMS } from './plan.mjs';
import { errorCell, field, int, ms, table } from './report-table.mjs';
import { SYSTEMS } from './systems/index.mjs';

/**
 * @param {{ plan: any, get: (workload: string, target: string) => any, cellOf: (summary: any, format: (v: number) => string) => string }} input
 * @returns {string[]} lines
 */
export function renderServer({ plan, get, cellOf }) {
  const { settings } = plan;
  const rows = SERVER_CONNECTIONS.flatMap((connections) =>
    SERVER_SYSTEMS.map((id) => [id, get(`server@${connections}`, id)])
      .filter(([, outcome]) => outcome)
      .map(([id, outcome]) => {
        const label = SYSTEMS.find((system) => system.id === id)?.label ?? id;
        if (outcome.results.length === 0)
          return [label, String(connections), errorCell(outcome), '', '', '', ''];
        return [
          label,
          String(connections),
          cellOf(field(outcome, 'requestsPerSecond'), int),
          cellOf(field(outcome, 'p50'), ms),
          cellOf(field(outcome, 'p99'), ms),
          cellOf(field(outcome, 'completed'), int),
          cellOf(field(outcome, 'non2xx'), int),
        ];
      }),
  );
  if (rows.length === 0) return [];
  return [
    '## Server-shaped workload',
    '',
    'A `node:http` server whose POST handler parses a small JSON body, enqueues one task and answers 202 ' +
      `with its id once the enqueue resolved (Errand: durable mode), loaded by autocannon from its own process ` +
      `for ${settings.serverSeconds} s per row. Latency is autocannon's, per request; "tasks run" counts the ` +
      `tasks that had finished by the end of the load plus up to ${settings.serverDrainMs / 1000} s after it.`,
    '',
    table(['system', 'connections', 'req/s', 'p50 (ms)', 'p99 (ms)', 'tasks run', 'non-2xx'], rows),
    '',
  ];
}
