import { TASK_STATUSES } from '@errand/core';
import type { Styles } from '../io.js';
import type { JobView } from '../jobs/view.js';
import { formatCount, formatPercent, formatSpan } from '../values.js';
import type { HealthSnapshot, InstanceView } from './snapshot.js';
import { type Check, type CheckStatus, describeInstance, type Verdict } from './verdict.js';

/** How many jobs the tree lists before it points at `errand jobs list`. */
const JOBS_SHOWN = 10;

const RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2 };

function worst(checks: Check[]): CheckStatus {
  return checks.reduce<CheckStatus>((a, c) => (RANK[c.status] > RANK[a] ? c.status : a), 'pass');
}

function mark(status: CheckStatus, styles: Styles): string {
  return status === 'pass' ? styles.ok('✓') : status === 'warn' ? styles.warn('!') : styles.fail('✗');
}

/** `├─`/`└─` branches under a heading, as in the seed's `health check --detailed`. */
function branches(lines: string[], indent = '   '): string[] {
  return lines.map((line, index) => `${indent}${index === lines.length - 1 ? '└─' : '├─'} ${line}`);
}

function instanceLine(instance: InstanceView, now: number): string {
  const role = instance.scheduler ? `, ${instance.scheduler} scheduler` : '';
  const when =
    instance.state === 'live'
      ? `up ${formatSpan(now - instance.startedAt)}`
      : `last heartbeat ${formatSpan(now - instance.expiresAt)} past its lease`;
  return `${describeInstance(instance)}: ${instance.state}${role}, ${when} (${instance.id})`;
}

export function jobLine(job: JobView): string {
  return `${job.id}: ${job.schedule} → ${job.nextRunIn}`;
}

function section(name: string, checks: Check[], title: string, styles: Styles): string {
  const status = worst(checks);
  const failing = checks.filter((check) => check.status === status && status !== 'pass');
  const text = failing.length > 0 ? failing.map((check) => check.message).join('; ') : title;
  return `${mark(status, styles)} ${styles.bold(name)} ${text}`;
}

function schedulerTree(verdict: Verdict, checks: Check[], styles: Styles): string[] {
  const jobs = verdict.jobs;
  const active = jobs.filter((job) => job.active).length;
  const paused = jobs.filter((job) => job.paused).length;
  const title = jobs.length === 0 ? 'no jobs stored' : `Scheduler running with ${jobs.length} jobs`;
  const lines = [section('scheduler', checks, title, styles)];
  if (jobs.length === 0) return lines;
  const shown = jobs.slice(0, JOBS_SHOWN).map(jobLine);
  if (jobs.length > JOBS_SHOWN) shown.push(`… ${jobs.length - JOBS_SHOWN} more: errand jobs list`);
  lines.push(`└─ Jobs: ${jobs.length} total, ${active} active, ${paused} paused`);
  lines.push(`└─ Upcoming Jobs (Next ${Math.min(jobs.length, JOBS_SHOWN)}):`, ...branches(shown));
  return lines;
}

function tasksTree(snapshot: HealthSnapshot, checks: Check[], styles: Styles): string[] {
  const { counts, lastHour, now } = snapshot;
  const total = TASK_STATUSES.reduce((sum, status) => sum + counts[status], 0);
  const lines = [section('tasks', checks, `${formatCount(total)} total`, styles)];
  lines.push(`└─ ${TASK_STATUSES.map((status) => `${formatCount(counts[status])} ${status}`).join(', ')}`);
  const age = snapshot.oldestPendingAt === null ? 'none pending' : formatSpan(now - snapshot.oldestPendingAt);
  lines.push(`└─ Oldest pending: ${age}`);
  const finished = TASK_STATUSES.reduce((sum, status) => sum + lastHour[status], 0);
  const decided = lastHour.success + lastHour.failed;
  const rate =
    decided === 0 ? '' : ` (${formatPercent(lastHour.failed / decided)} of ${formatCount(decided)})`;
  lines.push(
    `└─ Last hour: ${formatCount(finished)} finished, ${formatCount(lastHour.failed)} failed${rate}`,
  );
  return lines;
}

/**
 * The `--detailed` tree under the verdict line: the store, the instances,
 * the totals, and the jobs in the seed's shape
 * (`├─ database_backup: Daily at 2:00 AM UTC → in 5h`).
 */
export function detailedTree(
  verdict: Verdict,
  snapshot: HealthSnapshot | null,
  store: string,
  styles: Styles,
): string[] {
  const pick = (...names: Check['name'][]) => verdict.checks.filter((check) => names.includes(check.name));
  // The heading already says "store": "✓ store sqlite:./x.db: sqlite answered in 3ms", "✗ store unreachable: …".
  const storeCheck = pick('store').map((check) => ({
    ...check,
    message: check.message.replace(/^store /, ''),
  }));
  const lines = [section('store', storeCheck, `${store}: ${storeCheck[0]?.message ?? ''}`, styles)];
  if (!snapshot) return lines;
  const { instances, now } = snapshot;
  const count = (state: InstanceView['state']) => instances.filter((i) => i.state === state).length;
  const instanceTitle = `${count('live')} live, ${count('quiet')} quiet, ${count('stopped')} stopped`;
  lines.push(section('instances', pick('instances'), instanceTitle, styles));
  // Live ones first; the rest, most recently seen first.
  const ordered = [...instances].sort((a, b) =>
    a.state === 'live' && b.state !== 'live'
      ? -1
      : b.state === 'live' && a.state !== 'live'
        ? 1
        : b.expiresAt - a.expiresAt,
  );
  lines.push(...branches(ordered.map((instance) => instanceLine(instance, now))));
  lines.push(...tasksTree(snapshot, pick('pending-age', 'failure-rate'), styles));
  lines.push(...schedulerTree(verdict, pick('scheduler', 'jobs'), styles));
  return lines;
}
