import { describe, expect, it } from 'vitest';
import { CronTrigger, IntervalTrigger } from '../src/trigger.js';

// The host's zone must not matter: compute under a zone far from both.
process.env.TZ = 'Pacific/Auckland';

/** Local wall-clock "YYYY-MM-DD HH:MM" of an instant in a zone. */
function local(at: number, zone: string): string {
  return new Date(at).toLocaleString('sv-SE', { timeZone: zone }).slice(0, 16);
}

function runs(trigger: CronTrigger, from: number, count: number): number[] {
  const out: number[] = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    const next = trigger.next(at);
    if (next === null) break;
    out.push(next);
    at = next;
  }
  return out;
}

describe('cron across daylight saving time', () => {
  const cases = [
    {
      zone: 'Europe/Berlin',
      spring: {
        from: Date.UTC(2026, 2, 27, 12),
        expected: ['2026-03-28 02:30', '2026-03-29 03:00', '2026-03-30 02:30'],
      },
      fall: {
        from: Date.UTC(2026, 9, 23, 12),
        expected: ['2026-10-24 02:30', '2026-10-25 02:30', '2026-10-26 02:30'],
      },
      expression: '30 2 * * *',
    },
    {
      zone: 'America/New_York',
      spring: {
        from: Date.UTC(2026, 2, 6, 12),
        expected: ['2026-03-07 02:30', '2026-03-08 03:00', '2026-03-09 02:30'],
      },
      fall: {
        from: Date.UTC(2026, 9, 30, 12),
        expected: ['2026-10-31 02:30', '2026-11-01 02:30', '2026-11-02 02:30'],
      },
      expression: '30 2 * * *',
    },
  ];
  for (const { zone, spring, fall, expression } of cases) {
    it(`${zone}: a time inside the spring-forward gap runs once, right after the jump`, () => {
      const trigger = new CronTrigger(expression, zone);
      expect(runs(trigger, spring.from, 3).map((at) => local(at, zone))).toEqual(spring.expected);
    });
    it(`${zone}: a daily job runs exactly once on the fall-back day`, () => {
      const trigger = new CronTrigger(expression, zone);
      expect(runs(trigger, fall.from, 3).map((at) => local(at, zone))).toEqual(fall.expected);
    });
  }

  it('keeps a daily job that is not in the gap at its time on the spring-forward day', () => {
    const trigger = new CronTrigger('30 3 * * *', 'Europe/Berlin');
    expect(runs(trigger, Date.UTC(2026, 2, 28, 12), 2).map((at) => local(at, 'Europe/Berlin'))).toEqual([
      '2026-03-29 03:30',
      '2026-03-30 03:30',
    ]);
  });

  it('runs an hourly job once per local wall-clock hour: the repeated 02:00 once, the skipped one not', () => {
    const trigger = new CronTrigger('0 * * * *', 'Europe/Berlin');
    const fall = runs(trigger, Date.UTC(2026, 9, 24, 23, 30), 4);
    expect(fall.map((at) => at - fall[0]!)).toEqual([0, 2 * 3_600_000, 3 * 3_600_000, 4 * 3_600_000]);
    const spring = runs(trigger, Date.UTC(2026, 2, 28, 23, 30), 3);
    expect(spring.map((at) => local(at, 'Europe/Berlin'))).toEqual([
      '2026-03-29 01:00',
      '2026-03-29 03:00',
      '2026-03-29 04:00',
    ]);
  });
});

describe('interval trigger', () => {
  it('stays on the grid of its anchor, whenever it is asked', () => {
    const trigger = new IntervalTrigger(60_000, 1_000_000);
    expect(trigger.next(0)).toBe(1_000_000);
    expect(trigger.next(1_000_000)).toBe(1_060_000);
    expect(trigger.next(1_059_999)).toBe(1_060_000);
    expect(trigger.next(1_000_000 + 10 * 60_000 + 5)).toBe(1_000_000 + 11 * 60_000);
  });
});
