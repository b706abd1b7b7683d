import type { JobView } from '../jobs/view.js';
import { formatPercent, formatSpan } from '../values.js';
import type { HealthSnapshot, InstanceView } from './snapshot.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One thing the verdict looked at. Names are stable: scripts may pick a check by name. */
export interface Check {
  name: 'store' | 'instances' | 'scheduler' | 'jobs' | 'pending-age' | 'failure-rate';
  status: CheckStatus;
  message: string;
}

export interface Verdict {
  status: HealthStatus;
  checks: Check[];
  /** The first line of stdout: starts with the status and says why. */
  summary: string;
  /** Jobs in the order the tree and JSON show them (empty without a snapshot). */
  jobs: JobView[];
}

export interface VerdictOptions {
  maxPendingAgeMs: number | null;
  maxFailureRate: number | null;
  /** The command's timeout: a store that takes half of it to answer is a warning. */
  timeoutMs: number;
}

/** A threshold is "close" past this share of it: a warning before the failure. */
const CLOSE = 0.8;
/** Docker keeps 4 KB of a health check's output; the verdict line stays well inside. */
const SUMMARY_MAX = 300;

export function describeInstance(instance: InstanceView): string {
  const where = [instance.host, instance.pid === null ? null : `pid ${instance.pid}`]
    .filter(Boolean)
    .join(' ');
  return where || instance.id;
}

function storeCheck(snapshot: Pick<HealthSnapshot, 'backend' | 'latencyMs'>, options: VerdictOptions): Check {
  const answered = `${snapshot.backend} answered in ${formatSpan(snapshot.latencyMs)}`;
  return snapshot.latencyMs > options.timeoutMs / 2
    ? {
        name: 'store',
        status: 'warn',
        message: `store slow: ${answered} (timeout ${formatSpan(options.timeoutMs)})`,
      }
    : { name: 'store', status: 'pass', message: `store ${answered}` };
}

function instancesCheck(snapshot: HealthSnapshot): Check {
  const { instances, now } = snapshot;
  const live = instances.filter((i) => i.state === 'live');
  const quiet = instances.filter((i) => i.state === 'quiet');
  if (live.length === 0) {
    const last = instances.reduce<InstanceView | null>(
      (a, b) => (!a || b.expiresAt > a.expiresAt ? b : a),
      null,
    );
    return {
      name: 'instances',
      status: 'fail',
      message: last
        ? `no live instance: last heartbeat ${formatSpan(now - last.expiresAt)} past its lease (${describeInstance(last)})`
        : 'no live instance: none has registered with this store',
    };
  }
  const lives = `${live.length} live instance${live.length === 1 ? '' : 's'}`;
  if (quiet.length > 0) {
    const names = quiet.map((i) => `${describeInstance(i)} quiet ${formatSpan(now - i.expiresAt)}`);
    return { name: 'instances', status: 'warn', message: `${lives}; gone quiet: ${names.join(', ')}` };
  }
  return { name: 'instances', status: 'pass', message: lives };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Whether a live instance fires the active jobs. */
function firingCheck(snapshot: HealthSnapshot, active: number): Check {
  const jobs = plural(active, 'active job');
  const firing = snapshot.instances.filter((i) => i.state === 'live' && i.scheduler === 'firing');
  if (firing.length > 0) {
    return {
      name: 'scheduler',
      status: 'pass',
      message: `${jobs}, fired by ${plural(firing.length, 'live instance')}`,
    };
  }
  // Core publishes the scheduler's role with the heartbeat after start: not yet known is not "none".
  const starting = snapshot.instances.find((i) => i.state === 'live' && i.settling && i.scheduler === null);
  if (starting) {
    const age = formatSpan(snapshot.now - starting.startedAt);
    return {
      name: 'scheduler',
      status: 'warn',
      message: `no live instance fires the ${jobs} yet: ${describeInstance(starting)} started ${age} ago and has not said whether it does`,
    };
  }
  return { name: 'scheduler', status: 'fail', message: `no live instance fires the ${jobs}` };
}

function schedulerChecks(snapshot: HealthSnapshot, jobs: JobView[]): Check[] {
  const active = jobs.filter((job) => job.active);
  if (active.length === 0) {
    const message =
      jobs.length === 0 ? 'no jobs stored' : `${jobs.length} jobs, none active (paused or done)`;
    return [{ name: 'scheduler', status: 'pass', message }];
  }
  const scheduler = firingCheck(snapshot, active.length);
  const late = active.filter((job) => job.overdue);
  const jobsCheck: Check =
    late.length === 0
      ? { name: 'jobs', status: 'pass', message: 'every job on time' }
      : {
          name: 'jobs',
          status: 'fail',
          message: late
            .map((job) => `${job.id} ${job.nextRunIn} (grace ${formatSpan(job.graceMs)})`)
            .join(', '),
        };
  return [scheduler, jobsCheck];
}

function threshold(
  name: Check['name'],
  value: number,
  max: number,
  describe: (value: number, max: number) => string,
): Check {
  const status: CheckStatus = value > max ? 'fail' : value > max * CLOSE ? 'warn' : 'pass';
  return { name, status, message: describe(value, max) };
}

function thresholdChecks(snapshot: HealthSnapshot, options: VerdictOptions): Check[] {
  const checks: Check[] = [];
  if (options.maxPendingAgeMs !== null) {
    const age = snapshot.oldestPendingAt === null ? 0 : Math.max(0, snapshot.now - snapshot.oldestPendingAt);
    checks.push(
      threshold('pending-age', age, options.maxPendingAgeMs, (value, max) =>
        snapshot.oldestPendingAt === null
          ? 'nothing pending'
          : `oldest pending task waits ${formatSpan(value)} (max ${formatSpan(max)})`,
      ),
    );
  }
  if (options.maxFailureRate !== null) {
    const { success, failed } = snapshot.lastHour;
    const decided = success + failed;
    const rate = decided === 0 ? 0 : failed / decided;
    checks.push(
      threshold('failure-rate', rate, options.maxFailureRate, (value, max) =>
        decided === 0
          ? 'no task succeeded or failed in the last hour'
          : `${formatPercent(value)} failed in the last hour, ${failed} of ${decided} (max ${formatPercent(max)})`,
      ),
    );
  }
  return checks;
}

/** The status a set of checks adds up to: any failure is unhealthy, any warning degraded. */
export function overall(checks: readonly Check[]): HealthStatus {
  if (checks.some((check) => check.status === 'fail')) return 'unhealthy';
  if (checks.some((check) => check.status === 'warn')) return 'degraded';
  return 'healthy';
}

function summarize(status: HealthStatus, checks: readonly Check[]): string {
  const wanted: CheckStatus = status === 'unhealthy' ? 'fail' : status === 'degraded' ? 'warn' : 'pass';
  const reasons = checks.filter((check) => check.status === wanted).map((check) => check.message);
  const line = `${status}: ${reasons.join('; ')}`;
  return line.length > SUMMARY_MAX ? `${line.slice(0, SUMMARY_MAX - 1)}…` : line;
}

/**
 * The verdict. Healthy only when the store answers, an instance heartbeat is
 * live, and, when active jobs are stored, a firing scheduler is live and no
 * job is overdue beyond `max(60 s, misfireGraceTime)`; optional thresholds
 * must hold. Failed tasks alone never change it.
 */
export function judge(snapshot: HealthSnapshot, options: VerdictOptions): Verdict {
  const jobs = snapshot.jobs;
  const checks = [
    storeCheck(snapshot, options),
    instancesCheck(snapshot),
    ...schedulerChecks(snapshot, jobs),
    ...thresholdChecks(snapshot, options),
  ];
  const status = overall(checks);
  return { status, checks, summary: summarize(status, checks), jobs };
}

/** `--probe liveness`: the store answers, nothing else is asked (a restart would not fix the rest). */
export function judgeLiveness(
  probe: Pick<HealthSnapshot, 'backend' | 'latencyMs'>,
  options: VerdictOptions,
): Verdict {
  const checks = [storeCheck(probe, options)];
  const status = overall(checks);
  return { status, checks, summary: summarize(status, checks), jobs: [] };
}

/** The verdict when the store could not be read at all: unreachable, timed out, not installed. */
export function unreachable(reason: string): Verdict {
  const checks: Check[] = [{ name: 'store', status: 'fail', message: reason }];
  return { status: 'unhealthy', checks, summary: summarize('unhealthy', checks), jobs: [] };
}
