import type {
  JobRunOutcome,
  StoredJob,
  StoredTrigger,
  TaskRecord,
  TaskStatus,
  TickClaim,
} from '@errand/core';

/** The record fields kept in the `body` JSON; the rest are hash fields of their own. */
interface Body {
  queue: string;
  priority: number;
  tags: string[];
  args: unknown[];
  attempt: number;
  maxAttempts: number;
  startedAt: number | null;
  duration: number | null;
  runAt: number;
  stack: string | null;
  logs: TaskRecord['logs'];
  progress: number | null;
  result: unknown;
}

/** A nullable value as the scripts read it: `''` is null, `'=' + value` a value. */
function nullable(value: string | number | null): string {
  return value === null ? '' : `=${value}`;
}

/**
 * The write script's ARGV slots for one record (see `WRITE_FIELDS`).
 * Fields a script reads or indexes get slots of their own; the rest travel
 * as one JSON body that Lua never parses.
 */
export function recordArgs(record: TaskRecord, into: string[]): void {
  const body: Body = {
    queue: record.queue,
    priority: record.priority,
    tags: record.tags,
    args: record.args,
    attempt: record.attempt,
    maxAttempts: record.maxAttempts,
    startedAt: record.startedAt,
    duration: record.duration,
    runAt: record.runAt,
    stack: record.stack,
    logs: record.logs,
    progress: record.progress,
    result: record.result,
  };
  // The lower-cased error is stored only when it differs, for the
  // case-insensitive `errorContains` filter (Lua's lower() is ASCII-only).
  const lower = record.error?.toLowerCase() ?? null;
  into.push(
    record.id,
    record.name,
    record.status,
    String(record.createdAt),
    nullable(record.owner),
    nullable(record.idempotencyKey),
    record.requeueOnInterrupt ? '1' : '0',
    nullable(record.finishedAt),
    nullable(record.error),
    nullable(lower !== record.error ? lower : null),
    JSON.stringify(body),
  );
}

/** Turns an HGETALL reply (`[field, value, ...]`) of task `id` into a record, or null when empty. */
export function recordFromHash(id: string, flat: readonly string[]): TaskRecord | null {
  if (flat.length === 0) return null;
  const hash: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  const body = JSON.parse(hash.body ?? '{}') as Body;
  return {
    id,
    name: hash.name!,
    queue: body.queue,
    priority: body.priority,
    tags: body.tags,
    args: body.args,
    status: hash.status as TaskStatus,
    attempt: body.attempt,
    maxAttempts: body.maxAttempts,
    createdAt: Number(hash.createdAt),
    startedAt: body.startedAt,
    finishedAt: hash.finishedAt === undefined ? null : Number(hash.finishedAt),
    duration: body.duration,
    runAt: body.runAt,
    error: hash.error ?? null,
    stack: body.stack,
    logs: body.logs,
    progress: body.progress,
    result: 'result' in body ? body.result : null,
    idempotencyKey: hash.key ?? null,
    owner: hash.owner ?? null,
    requeueOnInterrupt: hash.requeue === '1',
  };
}

/**
 * The register script's ARGV slots for one job (see `JOB_FIELDS`). Times
 * travel as `String(number)`, so the stored nextRunAt is exactly the string
 * a claim's `expectedNextRunAt` gives for the same number.
 */
export function jobArgs(job: StoredJob): string[] {
  return [
    job.id,
    job.taskName,
    JSON.stringify(job.trigger),
    job.definitionHash,
    JSON.stringify(job.options),
    nullable(job.nextRunAt),
    nullable(job.lastRunAt),
    nullable(job.lastOutcome),
    job.paused ? '1' : '0',
    JSON.stringify(job.activeRuns),
    String(job.updatedAt),
  ];
}

/** The claim-tick script's ARGV (see `CLAIM_TICK_FIELDS`), followed by the tick's records in the slots of `write()`. */
export function claimTickArgs(claim: TickClaim, retention: number): string[] {
  const args = [
    claim.jobId,
    String(claim.expectedNextRunAt),
    nullable(claim.nextRunAt),
    JSON.stringify(claim.activeRuns),
    String(claim.lastRunAt),
    nullable(claim.lastOutcome),
    String(retention),
  ];
  for (const record of claim.tasks) recordArgs(record, args);
  return args;
}

/** Turns an HGETALL reply of job `id` into a job, or null when empty. */
export function jobFromHash(id: string, flat: readonly string[]): StoredJob | null {
  if (flat.length === 0) return null;
  const hash: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  return {
    id,
    taskName: hash.taskName!,
    trigger: JSON.parse(hash.trigger!) as StoredTrigger,
    definitionHash: hash.definitionHash!,
    options: JSON.parse(hash.options!) as Record<string, unknown>,
    nextRunAt: hash.nextRunAt === undefined ? null : Number(hash.nextRunAt),
    lastRunAt: hash.lastRunAt === undefined ? null : Number(hash.lastRunAt),
    lastOutcome: (hash.lastOutcome as JobRunOutcome | undefined) ?? null,
    paused: hash.paused === '1',
    orphaned: hash.orphaned === '1',
    activeRuns: JSON.parse(hash.activeRuns ?? '[]') as string[],
    updatedAt: Number(hash.updatedAt),
  };
}
