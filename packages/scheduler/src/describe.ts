import type { StoredTrigger } from '@errand/core';

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

/** A cron expression in words, for the common shapes; the expression itself otherwise. */
function describeCron(expression: string, timezone: string): string {
  const fields = expression.trim().split(/\s+/);
  const [second, minute, hour, dom, month, dow] = fields.length === 6 ? fields : ['0', ...fields];
  if (!second || !minute || !hour || !dom || !month || !dow) return `Cron "${expression}" ${timezone}`;
  const everyDay = dom === '*' && month === '*' && dow === '*';
  if (second === '*' && minute === '*' && hour === '*' && everyDay) return 'Every second';
  const secondStep = stepOf(second);
  if (secondStep && minute === '*' && hour === '*' && everyDay) return plural(Number(secondStep), 'second');
  if (second === '0' || fields.length === 5) {
    if (minute === '*' && hour === '*' && everyDay) return 'Every minute';
    const minuteStep = stepOf(minute);
    if (minuteStep && hour === '*' && everyDay) return plural(Number(minuteStep), 'minute');
    if (isNumber(minute)) {
      const hourStep = stepOf(hour);
      if (hour === '*' && everyDay) return `Hourly at :${minute.padStart(2, '0')}`;
      if (hourStep && everyDay) return plural(Number(hourStep), 'hour');
      if (isNumber(hour)) {
        const at = `${clock(Number(hour), Number(minute))} ${timezone}`;
        if (everyDay) return `Daily at ${at}`;
        const weekday = dayOfWeek(dow);
        if (dom === '*' && month === '*' && weekday) return `Weekly on ${weekday} at ${at}`;
        if (isNumber(dom) && month === '*' && dow === '*') return `Monthly on day ${dom} at ${at}`;
      }
    }
  }
  return `Cron "${expression}" ${timezone}`;
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

/**
 * How far `target` is from `now`, in words: "in 45s", "in 45m", "in 5h",
 * "in 3d", "overdue by 2m", "now"; "never" for null. Units are truncated:
 * 5 h 59 min is "in 5h".
 */
export function describeRelative(target: number | null, now: number): string {
  if (target === null) return 'never';
  const diff = target - now;
  const size = Math.abs(diff);
  if (size < 1000) return 'now';
  const amount =
    size < 60_000
      ? `${Math.floor(size / 1000)}s`
      : size < 3_600_000
        ? `${Math.floor(size / 60_000)}m`
        : size < 86_400_000
          ? `${Math.floor(size / 3_600_000)}h`
          : `${Math.floor(size / 86_400_000)}d`;
  return diff > 0 ? `in ${amount}` : `overdue by ${amount}`;
}
