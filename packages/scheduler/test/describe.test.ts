import { describe, expect, it } from 'vitest';
import { describeRelative, describeTrigger } from '../src/index.js';

describe('describeTrigger', () => {
  const golden: Array<[Parameters<typeof describeTrigger>[0], string]> = [
    [{ kind: 'cron', expression: '0 2 * * *', timezone: 'UTC' }, 'Daily at 2:00 AM UTC'],
    [{ kind: 'cron', expression: '30 14 * * *', timezone: 'UTC' }, 'Daily at 2:30 PM UTC'],
    [{ kind: 'cron', expression: '0 0 * * *', timezone: 'UTC' }, 'Daily at 12:00 AM UTC'],
    [
      { kind: 'cron', expression: '0 12 * * *', timezone: 'America/New_York' },
      'Daily at 12:00 PM America/New_York',
    ],
    [
      { kind: 'cron', expression: '0 9 * * 1', timezone: 'Europe/Berlin' },
      'Weekly on Monday at 9:00 AM Europe/Berlin',
    ],
    [{ kind: 'cron', expression: '0 9 * * MON', timezone: 'UTC' }, 'Weekly on Monday at 9:00 AM UTC'],
    [{ kind: 'cron', expression: '15 6 * * 0', timezone: 'UTC' }, 'Weekly on Sunday at 6:15 AM UTC'],
    [{ kind: 'cron', expression: '0 3 1 * *', timezone: 'UTC' }, 'Monthly on day 1 at 3:00 AM UTC'],
    [{ kind: 'cron', expression: '0 */6 * * *', timezone: 'UTC' }, 'Every 6 hours'],
    [{ kind: 'cron', expression: '*/15 * * * *', timezone: 'UTC' }, 'Every 15 minutes'],
    [{ kind: 'cron', expression: '* * * * *', timezone: 'UTC' }, 'Every minute'],
    [{ kind: 'cron', expression: '5 * * * *', timezone: 'UTC' }, 'Hourly at :05'],
    [{ kind: 'cron', expression: '* * * * * *', timezone: 'UTC' }, 'Every second'],
    [{ kind: 'cron', expression: '*/10 * * * * *', timezone: 'UTC' }, 'Every 10 seconds'],
    [{ kind: 'cron', expression: '0 0 2 * * *', timezone: 'UTC' }, 'Daily at 2:00 AM UTC'],
    [{ kind: 'cron', expression: '0 9-17 * * 1-5', timezone: 'UTC' }, 'Cron "0 9-17 * * 1-5" UTC'],
    [{ kind: 'every', intervalMs: 6 * 3_600_000, anchor: 0 }, 'Every 6 hours'],
    [{ kind: 'every', intervalMs: 3_600_000, anchor: 0 }, 'Every hour'],
    [{ kind: 'every', intervalMs: 86_400_000, anchor: 0 }, 'Every day'],
    [{ kind: 'every', intervalMs: 2 * 86_400_000, anchor: 0 }, 'Every 2 days'],
    [{ kind: 'every', intervalMs: 30 * 60_000, anchor: 0 }, 'Every 30 minutes'],
    [{ kind: 'every', intervalMs: 45_000, anchor: 0 }, 'Every 45 seconds'],
    [{ kind: 'every', intervalMs: 1500, anchor: 0 }, 'Every 1500 ms'],
    [{ kind: 'at', at: Date.UTC(2026, 11, 1, 9, 0) }, 'Once at 2026-12-01 09:00 UTC'],
  ];
  it.each(golden)('%j -> %s', (trigger, words) => {
    expect(describeTrigger(trigger)).toBe(words);
  });
});

describe('describeRelative', () => {
  const now = Date.UTC(2026, 10, 22, 21, 0, 0);
  const golden: Array<[number | null, string]> = [
    [now + 5 * 3_600_000, 'in 5h'],
    [now + 5 * 3_600_000 + 59 * 60_000, 'in 5h'],
    [now + 45 * 60_000, 'in 45m'],
    [now + 3 * 86_400_000, 'in 3d'],
    [now + 30_000, 'in 30s'],
    [now + 500, 'now'],
    [now, 'now'],
    [now - 2 * 60_000, 'overdue by 2m'],
    [now - 26 * 3_600_000, 'overdue by 1d'],
    [null, 'never'],
  ];
  it.each(golden)('%s -> %s', (target, words) => {
    expect(describeRelative(target, now)).toBe(words);
  });
});
