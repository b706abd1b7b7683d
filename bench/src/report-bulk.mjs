// The report's bulk and retention sections (issue 19): one bulk call of
// many tasks beside BullMQ addBulk and pg-boss insert, and retention cleanup
// of a large history while enqueues run.
import { BULK_SYSTEMS, RETENTION_KINDS } from './plan.mjs';
import { cell, errorCell, field, int, ms, table } from './report-table.mjs';
import { SYSTEMS } from './systems/index.mjs';

const BULK_CALLS = { bullmq: 'Queue.addBulk()', 'pg-boss': 'insert()' };

/**
 * @param {{ plan: any, get: (workload: string, target: string) => any, cellOf: (summary: any, format: (v: number) => string) => string }} input
 * @returns {string[]} lines
 */
export function renderBulk({ plan, get, cellOf }) {
  const { settings } = plan;
  const lines = [];
  const bulkRows = BULK_SYSTEMS.map((id) => [id, get('bulk', id)])
    .filter(([, outcome]) => outcome)
    .map(([id, outcome]) => {
      const label = SYSTEMS.find((system) => system.id === id)?.label ?? id;
      const call = BULK_CALLS[id] ?? 'handle.enqueueMany()';
      if (outcome.results.length === 0) return [label, call, errorCell(outcome), ''];
      return [
        label,
        call,
        cellOf(field(outcome, 'ms'), (v) => v.toFixed(0)),
        cellOf(field(outcome, 'tasksPerSecond'), int),
      ];
    });
  if (bulkRows.length > 0) {
    lines.push(
      '## Bulk enqueue',
      '',
      `Time for one call to accept ${int(settings.bulkN)} no-op tasks (Errand durable: stored before it ` +
        'resolves), with the consumer started in the same process, after a warm-up call of a tenth as many.',
      '',
      table(['system', 'call', 'ms', 'tasks/s'], bulkRows, ['call']),
      '',
    );
  }
  const retentionRows = RETENTION_KINDS.map((kind) => [kind, get('retention', kind)])
    .filter(([, outcome]) => outcome)
    .map(([kind, outcome]) => {
      if (outcome.results.length === 0) return [kind, errorCell(outcome), '', '', '', '', '', ''];
      const runs = outcome.job.runs ?? settings.runs;
      const own = (name, format) => cell(field(outcome, name), format, runs);
      const msCell = (name) => own(name, ms);
      return [
        kind,
        own('deleted', int),
        own('cleanupSeconds', (v) => v.toFixed(1)),
        own('recordsPerSecond', int),
        msCell('beforeP99'),
        msCell('duringP50'),
        msCell('duringP99'),
        msCell('duringMax'),
      ];
    });
  if (retentionRows.length > 0) {
    lines.push(
      '## Retention cleanup',
      '',
      `${int(settings.retentionN)} finished records past their retention (success, default 7 days), ` +
        'pre-filled with multi-row INSERT ... SELECT statements that copy one record Errand wrote; then ' +
        '`runRetention()` rounds until none is left, while the same durable manager enqueues 200 tasks/s. ' +
        'Enqueue latency: from the call to its resolve (the task stored), just before the cleanup ' +
        `(${settings.retentionBaselineMs / 1000} s) and during it. One run per store, whatever the plan's runs.`,
      '',
      table(
        [
          'store',
          'records deleted',
          'cleanup (s)',
          'records/s',
          'enqueue p99 before (ms)',
          'enqueue p50 during (ms)',
          'enqueue p99 during (ms)',
          'slowest enqueue during (ms)',
        ],
        retentionRows,
      ),
      '',
    );
  }
  return lines;
}
