import type { StoredTrigger } from '@errand/core';
import { Cron } from 'croner';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A trigger that can say when it fires next. */
export interface Trigger {
  readonly stored: StoredTrigger;
  /** The first fire time strictly after `after` (epoch ms), or null when there is none. */
  next(after: number): number | null;
}

/** UTC offset of `zone` at `at`, in minutes (positive east of Greenwich). */
function offsetMinutes(zone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((part) => part.type === type)!.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((wall - Math.floor(at / MINUTE) * MINUTE) / MINUTE);
}

/** The instant within (from, to] at which `zone`'s offset changes, to the minute. */
function transitionBetween(zone: string, from: number, to: number): number {
  const before = offsetMinutes(zone, from);
  let low = from;
  let high = to;
  while (high - low > MINUTE) {
    const middle = low + Math.max(1, Math.floor((high - low) / MINUTE / 2)) * MINUTE;
    if (offsetMinutes(zone, middle) === before) low = middle;
    else high = middle;
  }
  return high;
}

function wallMinutes(zone: string, at: number): number {
  const date = new Date(at + offsetMinutes(zone, at) * MINUTE);
  return date.getUTCHours() * 60 + date.getUTCMinutes();
}

/**
 * A cron trigger in a named zone. croner keeps a daily job to one run per
 * local day when clocks go back; when they spring forward, it moves a time
 * inside the gap by the gap's length (02:30 → 03:30). Cron's convention is
 * to run such a job right after the jump (03:00), so that is what this does.
 */
export class CronTrigger implements Trigger {
  readonly stored: StoredTrigger;
  readonly #cron: Cron;
  readonly #zone: string;

  constructor(expression: string, timezone: string) {
    this.#cron = new Cron(expression, { timezone, paused: true });
    // croner checks the zone lazily; ask once now so a bad zone fails at add().
    this.#cron.nextRun(new Date(0));
    this.#zone = timezone;
    this.stored = { kind: 'cron', expression, timezone };
  }

  next(after: number): number | null {
    const candidate = this.#cron.nextRun(new Date(after))?.getTime();
    if (candidate === undefined) return null;
    const zone = this.#zone;
    const gap = (offsetMinutes(zone, candidate) - offsetMinutes(zone, candidate - 3 * HOUR)) * MINUTE;
    if (gap <= 0) return candidate;
    const jump = transitionBetween(zone, candidate - 3 * HOUR, candidate);
    if (candidate - jump >= gap) return candidate;
    // Was the candidate moved out of the gap? Compare with the day before, when no gap applied.
    const dayBefore = this.#cron.nextRun(new Date(candidate - DAY - gap - MINUTE))?.getTime();
    const shifted =
      dayBefore !== undefined && wallMinutes(zone, dayBefore) === wallMinutes(zone, candidate) - gap / MINUTE;
    if (!shifted) return candidate;
    return jump > after ? jump : this.next(candidate);
  }
}

/** Fires every `intervalMs`, on a grid anchored at `anchor`, so restarts do not shift it. */
export class IntervalTrigger implements Trigger {
  readonly stored: StoredTrigger;
  readonly #interval: number;
  readonly #anchor: number;

  constructor(intervalMs: number, anchor: number) {
    this.#interval = intervalMs;
    this.#anchor = anchor;
    this.stored = { kind: 'every', intervalMs, anchor };
  }

  next(after: number): number | null {
    if (after < this.#anchor) return this.#anchor;
    return this.#anchor + (Math.floor((after - this.#anchor) / this.#interval) + 1) * this.#interval;
  }
}

/** Fires once. */
export class DateTrigger implements Trigger {
  readonly stored: StoredTrigger;
  readonly #at: number;

  constructor(at: number) {
    this.#at = at;
    this.stored = { kind: 'at', at };
  }

  next(after: number): number | null {
    return this.#at > after ? this.#at : null;
  }
}

/** Rebuilds a trigger from its stored form. */
export function triggerFrom(stored: StoredTrigger): Trigger {
  switch (stored.kind) {
    case 'cron':
      return new CronTrigger(stored.expression, stored.timezone);
    case 'every':
      return new IntervalTrigger(stored.intervalMs, stored.anchor);
    case 'at':
      return new DateTrigger(stored.at);
  }
}
