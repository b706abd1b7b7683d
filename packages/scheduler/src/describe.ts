import type { StoredTrigger } from '@errand/core';
import cronstrue from 'cronstrue';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const UNITS: Array<[number, string]> = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
];

function plural(count: number, unit: string): string {
  return count === 1 ? `Every ${unit}` : `Every ${count} ${unit}s`;
}

function clock(hour: number, minute: number): string {
  const suffix = hour < 12 ? 'AM' : 'PM';
  const twelve = hour % 12 === 0 ? 12 : hour % 12;
  return `${twelve}:${String(minute).padStart(2, '0')} ${suffix}`;
}

const isNumber = (field: string) => /^\d+$/.test(field);
const stepOf = (field: string) => /^(?:\*|0)\/(\d+)$/.exec(field)?.[1];

function dayOfWeek(field: string): string | undefined {
  if (isNumber(field)) return DAYS[Number(field) % 7];
  const index = DAY_NAMES.indexOf(field.toUpperCase());
  return index >= 0 ? DAYS[index] : undefined;
}

/**
 * The shapes most jobs use, in Errand's own short words ("Daily at 2:00 AM
 * UTC", "Every 6 hours"); undefined for any other expression.
 */
function describeCommonCron(expression: string, timezone: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return undefined;
  const [second, minute, hour, dom, month, dow] = fields.length === 6 ? fields : ['0', ...fields];
  if (!second || !minute || !hour || !dom || !month || !dow) return undefined;
  const everyDay = dom === '*' && month === '*' && dow === '*';
  if (second === '*' && minute === '*' && hour === '*' && everyDay) return 'Every second';
  const secondStep = stepOf(second);
  if (secondStep && minute === '*' && hour === '*' && everyDay) return plural(Number(secondStep), 'second');
  if (second !== '0') return undefined;
  if (minute === '*' && hour === '*' && everyDay) return 'Every minute';
  const minuteStep = stepOf(minute);
  if (minuteStep && hour === '*' && everyDay) return plural(Number(minuteStep), 'minute');
  if (!isNumber(minute)) return undefined;
  const hourStep = stepOf(hour);
  if (hour === '*' && everyDay) return `Hourly at :${minute.padStart(2, '0')}`;
  if (hourStep && everyDay) return plural(Number(hourStep), 'hour');
  if (!isNumber(hour)) return undefined;
  const at = `${clock(Number(hour), Number(minute))} ${timezone}`;
  if (everyDay) return `Daily at ${at}`;
  const weekday = dayOfWeek(dow);
  if (dom === '*' && month === '*' && weekday) return `Weekly on ${weekday} at ${at}`;
  if (isNumber(dom) && month === '*' && dow === '*') return `Monthly on day ${dom} at ${at}`;
  return undefined;
}

const CLOCK_TIME = /\b\d{1,2}:\d{2}(?::\d{2})? [AP]M\b/g;

/**
 * Any other expression through cronstrue, with the zone its times are in:
 * after the last clock time ("between 9:00 AM and 5:00 PM UTC, Monday
 * through Friday"), or at the end when only days or months depend on it.
 */
function describeAnyCron(expression: string, timezone: string): string | undefined {
  let words: string;
  try {
    // croner's day-of-month/day-of-week rule is OR, as cronstrue's default.
    words = cronstrue.toString(expression, { throwExceptionOnParseError: true, trimHoursLeadingZero: true });
  } catch {
    return undefined;
  }
  const times = [...words.matchAll(CLOCK_TIME)];
  const last = times.at(-1);
  if (last) {
    const end = last.index + last[0].length;
    return `${words.slice(0, end)} ${timezone}${words.slice(end)}`;
  }
  const fields = expression.trim().split(/\s+/);
  // Day of month, month, day of week (and year): which day it is depends on the zone.
  const calendar = fields.slice(fields.length >= 6 ? 3 : 2).some((field) => field !== '*' && field !== '?');
  return calendar ? `${words} (${timezone})` : words;
}

/** A cron expression in words; the expression itself only when nothing can read it. */
function describeCron(expression: string, timezone: string): string {
  return (
    describeCommonCron(expression, timezone) ??
    describeAnyCron(expression, timezone) ??
    `Cron "${expression}" ${timezone}`
  );
}

/** A trigger in words: "Daily at 2:00 AM UTC", "Every 6 hours", "Weekly on Monday at 9:00 AM Europe/Berlin". */
export function describeTrigger(trigger: StoredTrigger): string {
  switch (trigger.kind) {
    case 'cron':
      return describeCron(trigger.expression, trigger.timezone);
    case 'every': {
      for (const [size, unit] of UNITS) {
        if (trigger.intervalMs % size === 0) return plural(trigger.intervalMs / size, unit);
      }
      return `Every ${trigger.intervalMs} ms`;
    }
    case 'at':
      return `Once at ${new Date(trigger.at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}

const SPANS: Array<[number, string]> = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1000, 's'],
];

/** A duration of at least a second in its two largest units, rounded to the second one: "1h 29m", "2d", "45s". */
function span(ms: number): string {
  const top = SPANS.findIndex(([size]) => ms >= size);
  const step = SPANS[Math.min(top + 1, SPANS.length - 1)]![0];
  // Rounding may carry into a larger unit (59m 40s is "1h"): split the rounded value afresh.
  let rest = Math.round(ms / step) * step;
  const parts: string[] = [];
  for (const [size, unit] of SPANS) {
    if (parts.length === 2 || (parts.length === 1 && size < step)) break;
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
    else if (parts.length === 1) break;
  }
  return parts.join(' ');
}

/**
 * How far `target` is from `now`, in words: "in 45s", "in 1h 29m",
 * "in 2d 3h", "in 5h", "overdue by 3m 10s", "now"; "never" for null. Two
 * units at most, rounded to the smaller one; a zero second unit is left out.
 */
export function describeRelative(target: number | null, now: number): string {
  if (target === null) return 'never';
  const diff = target - now;
  const size = Math.abs(diff);
  if (size < 1000) return 'now';
  return diff > 0 ? `in ${span(size)}` : `overdue by ${span(size)}`;
}
