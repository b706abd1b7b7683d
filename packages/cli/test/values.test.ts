import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { formatSpan, parseCount, parseDuration, parseRate, parseSince } from '../src/values.js';

describe('flag values', () => {
  it('reads durations, a bare number as seconds', () => {
    expect(parseDuration('timeout', '500ms')).toBe(500);
    expect(parseDuration('timeout', '5s')).toBe(5000);
    expect(parseDuration('timeout', '5')).toBe(5000);
    expect(parseDuration('timeout', '1.5m')).toBe(90_000);
    expect(parseDuration('timeout', '2h')).toBe(7_200_000);
    expect(parseDuration('timeout', '1d')).toBe(86_400_000);
    for (const bad of ['', 'soon', '5 minutes', '-1s', '0s']) {
      expect(() => parseDuration('timeout', bad)).toThrow(UsageError);
    }
  });

  it('reads rates as percentages or fractions', () => {
    expect(parseRate('max-failure-rate', '5%')).toBeCloseTo(0.05);
    expect(parseRate('max-failure-rate', '0.05')).toBeCloseTo(0.05);
    expect(parseRate('max-failure-rate', '100%')).toBe(1);
    for (const bad of ['150%', '2', 'x', '-1%'])
      expect(() => parseRate('max-failure-rate', bad)).toThrow(UsageError);
  });

  it('reads counts within bounds', () => {
    expect(parseCount('limit', '20', 1000)).toBe(20);
    for (const bad of ['0', '1001', '1.5', 'ten'])
      expect(() => parseCount('limit', bad, 1000)).toThrow(UsageError);
  });

  it('reads --since as a span back from now or a date', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    expect(parseSince('1h', now)).toBe(now - 3_600_000);
    expect(parseSince('2026-11-22T02:00:00Z', now)).toBe(Date.parse('2026-11-22T02:00:00Z'));
    expect(() => parseSince('yesterday', now)).toThrow(UsageError);
  });

  it('formats spans in the two largest units', () => {
    expect(formatSpan(850)).toBe('850ms');
    expect(formatSpan(12_400)).toBe('12s');
    expect(formatSpan(200_000)).toBe('3m 20s');
    expect(formatSpan(3_600_000)).toBe('1h');
    expect(formatSpan(5 * 3_600_000 + 2 * 60_000 + 5000)).toBe('5h 2m');
    expect(formatSpan(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 4h');
  });
});
