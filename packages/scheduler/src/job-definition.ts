import { createHash } from 'node:crypto';
import { assertJsonValue, type StoredTrigger, type TaskContext, type TaskOptions } from '@errand/core';
import { InvalidJobError } from './errors.js';
import { CronTrigger, DateTrigger, IntervalTrigger } from './trigger.js';

/**
 * A job as declared in code. Exactly one of `cron`, `every` and `at`; and
 * either `task` (a task defined on the manager) or `fn` (the scheduler
 * defines a task for it).
 */
export interface JobDefinition {
  /** Stable id: the job's key in the store. */
  id: string;
  /** Name (or handle) of a task defined on the manager; each run enqueues it. */
  task?: string | { readonly name: string };
  /** Or the function to run; defined as a task named `name` (default `job:<id>`). */
  // biome-ignore lint/suspicious/noExplicitAny: job functions take any JSON arguments
  fn?: (ctx: TaskContext, ...args: any[]) => unknown;
  /** Task name for `fn`. */
  name?: string;
  /** Retries, timeout... of the task defined for `fn`. */
  taskOptions?: TaskOptions;
  /** Cron expression, 5 fields (minute first) or 6 (seconds first). */
  cron?: string;
  /** Interval: milliseconds, or a string such as `'6h'`, `'30m'`, `'45s'`, `'1d'`. At least 1 s. */
  every?: number | string;
  /** One run at this time. */
  at?: Date | number | string;
  /** IANA time zone of `cron`. Default `'UTC'`. */
  timezone?: string;
  /** Arguments of each run (JSON). */
  args?: unknown[];
  /**
   * A tick later than this many ms is missed (recorded, not run). Default
   * null: a late tick still runs, once, when the scheduler wakes.
   */
  misfireGraceTime?: number | null;
  /** Several missed ticks run once (true, default) or once each (false, at most 10). */
  coalesce?: boolean;
  /** Runs of this job going on at once, across instances. Default 1; a tick beyond it is skipped. */
  maxInstances?: number;
  /** Delays each run by up to this many ms at random. Default 0. */
  jitter?: number;
  /** Declared paused. A pause or resume made at run time survives restarts. */
  paused?: boolean;
  /** No tick before this time (also the anchor of `every`). */
  startAt?: Date | number;
  /** No tick after this time. */
  endAt?: Date | number;
}

/** A checked definition, ready for the store. */
export interface ResolvedJob {
  id: string;
  taskName: string;
  trigger: StoredTrigger;
  args: unknown[];
  misfireGraceTime: number | null;
  coalesce: boolean;
  maxInstances: number;
  jitter: number;
  paused: boolean;
  startAt: number | null;
  endAt: number | null;
  /** Hash of everything above except `paused` and the anchor of `every`. */
  definitionHash: string;
  /** The definition as stored (JSON). */
  options: Record<string, unknown>;
}

/** The latest time a Date can hold. */
const MAX_TIME_MS = 8.64e15;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseInterval(id: string, every: number | string): number {
  let ms: number;
  if (typeof every === 'number') {
    ms = every;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(String(every));
    if (!match)
      throw new InvalidJobError(id, `every: "${every}" is not an interval like 500ms, 30s, 15m, 6h or 1d`);
    ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  if (!Number.isFinite(ms) || ms < 1000 || !Number.isInteger(ms)) {
    throw new InvalidJobError(
      id,
      `every: the interval must be a whole number of ms, at least 1000 (got ${String(every)})`,
    );
  }
  return ms;
}

function toTime(id: string, field: string, value: Date | number | string | undefined): number | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > MAX_TIME_MS)
    throw new InvalidJobError(id, `${field}: not a valid date`);
  return ms;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Checks a definition; every problem is an `InvalidJobError` that names the job. */
export function resolveJob(definition: JobDefinition, now: number): ResolvedJob {
  const id = definition.id;
  if (typeof id !== 'string' || !/^[\w.:-]{1,200}$/.test(id)) {
    throw new InvalidJobError(String(id), 'id must be 1 to 200 letters, digits, or . _ : -');
  }
  const kinds = (['cron', 'every', 'at'] as const).filter((kind) => definition[kind] !== undefined);
  if (kinds.length !== 1) throw new InvalidJobError(id, 'give exactly one of cron, every or at');
  if ((definition.task === undefined) === (definition.fn === undefined)) {
    throw new InvalidJobError(id, 'give exactly one of task or fn');
  }
  if (definition.fn !== undefined && typeof definition.fn !== 'function')
    throw new InvalidJobError(id, 'fn must be a function');
  const taskName =
    definition.task !== undefined
      ? typeof definition.task === 'string'
        ? definition.task
        : definition.task.name
      : (definition.name ?? `job:${id}`);
  if (typeof taskName !== 'string' || taskName === '')
    throw new InvalidJobError(id, 'task must name a defined task');
  const timezone = definition.timezone ?? 'UTC';
  // croner reads '' as "the host's zone", which would make the schedule depend on the machine.
  if (typeof timezone !== 'string' || timezone.trim() === '') {
    throw new InvalidJobError(id, 'timezone must be an IANA zone name such as "UTC" or "Europe/Berlin"');
  }
  const startAt = toTime(id, 'startAt', definition.startAt);
  const endAt = toTime(id, 'endAt', definition.endAt);
  if (startAt !== null && endAt !== null && endAt <= startAt)
    throw new InvalidJobError(id, 'endAt must be after startAt');

  let trigger: StoredTrigger;
  let spec: Record<string, unknown>;
  if (definition.cron !== undefined) {
    if (typeof definition.cron !== 'string') throw new InvalidJobError(id, 'cron must be a string');
    try {
      trigger = new CronTrigger(definition.cron, timezone).stored;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const what = /timezone|time zone/i.test(detail)
        ? `invalid time zone "${timezone}"`
        : `invalid cron "${definition.cron}"`;
      throw new InvalidJobError(id, `${what}: ${detail}`, { cause: error });
    }
    if (new CronTrigger(definition.cron, timezone).next(startAt === null ? now : startAt - 1) === null) {
      throw new InvalidJobError(id, `cron "${definition.cron}" never fires (no such date)`);
    }
    spec = { cron: definition.cron, timezone };
  } else if (definition.every !== undefined) {
    const intervalMs = parseInterval(id, definition.every);
    if ((startAt ?? now) + intervalMs > MAX_TIME_MS) {
      throw new InvalidJobError(id, `every: ${String(definition.every)} reaches past the range of a Date`);
    }
    trigger = new IntervalTrigger(intervalMs, startAt ?? now).stored;
    spec = { every: intervalMs };
  } else {
    const at = toTime(id, 'at', definition.at)!;
    trigger = new DateTrigger(at).stored;
    spec = { at };
  }

  const args = definition.args ?? [];
  if (!Array.isArray(args)) throw new InvalidJobError(id, 'args must be an array');
  try {
    assertJsonValue(args, 'args');
  } catch (error) {
    throw new InvalidJobError(id, (error as Error).message, { cause: error });
  }
  const misfireGraceTime = definition.misfireGraceTime ?? null;
  if (misfireGraceTime !== null && !(Number.isFinite(misfireGraceTime) && misfireGraceTime >= 0)) {
    throw new InvalidJobError(id, 'misfireGraceTime must be null or a number of ms >= 0');
  }
  const maxInstances = definition.maxInstances ?? 1;
  if (!Number.isInteger(maxInstances) || maxInstances < 1)
    throw new InvalidJobError(id, 'maxInstances must be an integer >= 1');
  const jitter = definition.jitter ?? 0;
  if (!Number.isFinite(jitter) || jitter < 0)
    throw new InvalidJobError(id, 'jitter must be a number of ms >= 0');
  const coalesce = definition.coalesce ?? true;

  const options = { ...spec, args, misfireGraceTime, coalesce, maxInstances, jitter, startAt, endAt };
  const definitionHash = createHash('sha256')
    .update(stableJson({ taskName, ...options }))
    .digest('hex')
    .slice(0, 32);
  return {
    id,
    taskName,
    trigger,
    args,
    misfireGraceTime,
    coalesce,
    maxInstances,
    jitter,
    paused: definition.paused ?? false,
    startAt,
    endAt,
    definitionHash,
    options,
  };
}
