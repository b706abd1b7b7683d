import type { TaskManager, TaskRecord } from '@errand/core';
import type { ResolvedJob } from './job-definition.js';
import type { TickPlan } from './tick-plan.js';

/** Prefix of a tick's idempotency key: `sched:<job>:<tick>`. */
const JOB_TAG = 'sched:';
/** Missed or skipped ticks beyond this many (the latest are kept) leave no record. */
const RECORD_LIMIT = 100;

/**
 * The records one claimed tick writes, in the claim's own transaction: a
 * task per run (keyed by its tick, so a tick never runs twice) and a
 * finished record per missed or skipped tick, so history shows every tick.
 */
export function tickRecords(
  manager: TaskManager,
  jobId: string,
  job: ResolvedJob,
  plan: TickPlan,
  now: number,
  active: number,
): { runs: TaskRecord[]; records: TaskRecord[] } {
  const tag = `${JOB_TAG}${jobId}`;
  const runs = plan.run.map((tick) => {
    const jitter = job.jitter > 0 ? Math.floor(Math.random() * job.jitter) : 0;
    return manager.createRecord(job.taskName, job.args, {
      idempotencyKey: `${tag}:${tick}`,
      tags: { job: jobId, trigger: 'schedule' },
      // Due now: the tick time only names the run (its key); the delay is the jitter.
      delay: jitter,
    });
  });
  const grace = job.misfireGraceTime;
  const missed = notRun(manager, jobId, job, plan.missed.slice(-RECORD_LIMIT), 'missed', (tick) =>
    grace !== null && now - tick > grace
      ? `missed: ran ${now - tick} ms late, beyond misfireGraceTime ${grace} ms`
      : 'missed: folded into one catch-up run (coalesce)',
  );
  const skipped = notRun(
    manager,
    jobId,
    job,
    plan.skipped.slice(-RECORD_LIMIT),
    'skipped',
    () => `skipped: ${active} run(s) still going (maxInstances ${job.maxInstances})`,
  );
  return { runs, records: [...runs, ...missed, ...skipped] };
}

/** Finished records that put ticks without a run into history. */
function notRun(
  manager: TaskManager,
  jobId: string,
  job: ResolvedJob,
  ticks: number[],
  kind: 'missed' | 'skipped',
  reason: (tick: number) => string,
): TaskRecord[] {
  const finishedAt = Date.now();
  return ticks.map((tick) => {
    const record = manager.createRecord(job.taskName, job.args, { tags: { job: jobId, trigger: kind } });
    record.status = 'cancelled';
    record.runAt = tick;
    record.finishedAt = finishedAt;
    record.error = `${reason(tick)} (tick ${new Date(tick).toISOString()})`;
    return record;
  });
}
