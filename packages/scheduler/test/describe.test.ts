import { Cron } from 'croner';
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
    // Every other valid expression, through cronstrue, with the zone after its last clock time.
    [
      { kind: 'cron', expression: '0 9-17 * * 1-5', timezone: 'UTC' },
      'Every hour, between 9:00 AM and 5:00 PM UTC, Monday through Friday',
    ],
    [
      { kind: 'cron', expression: '0 0 1 */3 *', timezone: 'UTC' },
      'At 12:00 AM UTC, on day 1 of the month, every 3 months',
    ],
    [
      { kind: 'cron', expression: '0 8,12,18 * * *', timezone: 'UTC' },
      'At 8:00 AM, 12:00 PM and 6:00 PM UTC',
    ],
    [
      { kind: 'cron', expression: '0 9 * * 1,3,5', timezone: 'Europe/Berlin' },
      'At 9:00 AM Europe/Berlin, only on Monday, Wednesday, and Friday',
    ],
    [
      { kind: 'cron', expression: '*/5 9-17 * * MON-FRI', timezone: 'UTC' },
      'Every 5 minutes, between 9:00 AM and 5:59 PM UTC, Monday through Friday',
    ],
    [
      { kind: 'cron', expression: '0 1-23/2 * * *', timezone: 'UTC' },
      'On the hour, every 2 hours, between 1:00 AM and 11:00 PM UTC',
    ],
    [
      { kind: 'cron', expression: '30 2 15 1 *', timezone: 'UTC' },
      'At 2:30 AM UTC, on day 15 of the month, only in January',
    ],
    [
      { kind: 'cron', expression: '0 0 L * *', timezone: 'UTC' },
      'At 12:00 AM UTC, on the last day of the month',
    ],
    [
      { kind: 'cron', expression: '0 0 12 * * 5#2', timezone: 'UTC' },
      'At 12:00 PM UTC, on the second Friday of the month',
    ],
    [{ kind: 'cron', expression: '30 0 2 * * *', timezone: 'UTC' }, 'At 2:00:30 AM UTC'],
    // croner's rule: a day of month and a day of week both set means either.
    [
      { kind: 'cron', expression: '0 0 13 * 5', timezone: 'UTC' },
      'At 12:00 AM UTC, on day 13 of the month, and on Friday',
    ],
    // No clock time: the zone goes at the end when the days depend on it, and nowhere otherwise.
    [
      { kind: 'cron', expression: '*/30 * * * 1-5', timezone: 'America/New_York' },
      'Every 30 minutes, Monday through Friday (America/New_York)',
    ],
    [
      { kind: 'cron', expression: '10-20/5 * * * *', timezone: 'UTC' },
      'Every 5 minutes, minutes 10 through 20 past the hour',
    ],
    [{ kind: 'cron', expression: '@weekly', timezone: 'UTC' }, 'At 12:00 AM UTC, only on Sunday'],
    [{ kind: 'cron', expression: '@hourly', timezone: 'UTC' }, 'Every hour'],
    // What cronstrue cannot read either stays as written, never as a wrong sentence.
    [{ kind: 'cron', expression: 'not a cron', timezone: 'UTC' }, 'Cron "not a cron" UTC'],
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

  it('puts every expression croner accepts into words', () => {
    const fields = [
      ['0', '*/15', '5,35', '10-20'],
      ['*', '9', '9-17', '*/6', '1-23/2'],
      ['*', '1', '1,15', 'L', '*/2'],
      ['*', '1', '*/3', 'JAN-JUN'],
      ['*', '1', '1-5', 'MON,FRI', '5L', '1#2'],
    ];
    let expressions = [''];
    for (const options of fields) {
      expressions = expressions.flatMap((head) => options.map((field) => `${head} ${field}`.trim()));
    }
    const valid = expressions.filter((expression) => {
      try {
        new Cron(expression, { paused: true });
        return true;
      } catch {
        return false;
      }
    });
    expect(valid.length).toBeGreaterThan(2000);
    const unread = valid.filter((expression) =>
      describeTrigger({ kind: 'cron', expression, timezone: 'UTC' }).startsWith('Cron "'),
    );
    expect(unread).toEqual([]);
  });
});

describe('describeRelative', () => {
  const now = Date.UTC(2026, 10, 22, 21, 0, 0);
  const golden: Array<[number | null, string]> = [
    [now + 5 * 3_600_000, 'in 5h'],
    [now + 5 * 3_600_000 + 59 * 60_000, 'in 5h 59m'],
    [now + 89 * 60_000, 'in 1h 29m'],
    [now + 89 * 60_000 + 40_000, 'in 1h 30m'],
    [now + 59 * 60_000 + 59_600, 'in 1h'],
    [now + 45 * 60_000, 'in 45m'],
    [now + 3 * 86_400_000, 'in 3d'],
    [now + 2 * 86_400_000 + 3 * 3_600_000 + 10 * 60_000, 'in 2d 3h'],
    [now + 86_400_000 + 5 * 60_000, 'in 1d'],
    [now + 30_000, 'in 30s'],
    [now + 45_400, 'in 45s'],
    [now + 59_600, 'in 1m'],
    [now + 500, 'now'],
    [now, 'now'],
    [now - 2 * 60_000, 'overdue by 2m'],
    [now - 3 * 60_000 - 10_000, 'overdue by 3m 10s'],
    [now - 26 * 3_600_000, 'overdue by 1d 2h'],
    [null, 'never'],
  ];
  it.each(golden)('%s -> %s', (target, words) => {
    expect(describeRelative(target, now)).toBe(words);
  });
});
