import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration flag: `500ms`, `5s`, `2m`, `1h`, `1d`, or a bare number of
 * seconds (as `curl --max-time` and `timeout(1)` read it).
 */
export function parseDuration(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) throw new UsageError(`--${flag}: "${text}" is not a duration like 500ms, 5s, 2m, 1h or 1d`);
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']!);
  if (ms <= 0) throw new UsageError(`--${flag}: must be more than 0`);
  return ms;
}

/** A rate flag: `5%` or a fraction such as `0.05`. */
export function parseRate(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%)?\s*$/.exec(text);
  const rate = match ? Number(match[1]) / (match[2] ? 100 : 1) : Number.NaN;
  if (!(rate >= 0 && rate <= 1)) {
    throw new UsageError(`--${flag}: "${text}" is not a rate like 5% or 0.05 (from 0 to 100%)`);
  }
  return rate;
}

/** A positive whole number flag, at most `max`. */
export function parseCount(flag: string, text: string, max: number): number {
  const count = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(count) && count >= 1 && count <= max)) {
    throw new UsageError(`--${flag}: "${text}" is not a whole number from 1 to ${max}`);
  }
  return count;
}

/** `--since`: a duration back from `now` (`1h`: the last hour) or an ISO 8601 date. */
export function parseSince(text: string, now: number): number {
  if (/^\s*\d+(?:\.\d+)?\s*(ms|s|m|h|d)\s*$/.test(text)) return now - parseDuration('since', text);
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(at)) {
    throw new UsageError(
      `--since: "${text}" is neither a duration like 1h nor a date like 2026-11-22T02:00Z`,
    );
  }
  return at;
}

/** A span in the largest two units that matter: `850ms`, `12s`, `3m 20s`, `5h 2m`, `3d 4h`. */
export function formatSpan(ms: number): string {
  const size = Math.max(0, Math.round(ms));
  if (size < 1000) return `${size}ms`;
  const parts: Array<[number, string]> = [
    [Math.floor(size / 86_400_000), 'd'],
    [Math.floor(size / 3_600_000) % 24, 'h'],
    [Math.floor(size / 60_000) % 60, 'm'],
    [Math.floor(size / 1000) % 60, 's'],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  return parts
    .slice(first, first + 2)
    .filter(([value], index) => index === 0 || value > 0)
    .map(([value, unit]) => `${value}${unit}`)
    .join(' ');
}

/** `1,234`: counts read at a glance. */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** `12.5%` with at most one decimal. */
export function formatPercent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}
