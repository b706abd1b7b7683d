import { InvalidOptionError } from '../errors/invalid-option-error.js';

/** The longest delay `setTimeout` holds. */
export const MAX_TIMER_MS = 2_147_483_647;
/** The latest time a Date can hold (year 275760); every store keeps it exactly. */
export const MAX_TIME_MS = 8.64e15;

/** A whole number of at least `min`, or `fallback` when not given. */
export function integer(
  value: unknown,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(
      `${name} must be an integer >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}, got ${String(value)}`,
    );
  }
  return value;
}

/** A finite number of at least `min`, or `fallback` when not given. */
export function positive(value: unknown, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(`${name} must be a finite number >= ${min}, got ${String(value)}`);
  }
  return value;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration as ms (a number) or a string such as `'500ms'`, `'30s'`, `'15m'`, `'6h'`, `'7d'`, `'2w'`. */
export function duration(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(value) : null;
  if (!match) {
    throw new InvalidOptionError(
      `${name} must be ms or a duration such as '30s', '6h' or '7d', got ${String(value)}`,
    );
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** A name for a queue or a tag key: 1 to 100 characters. */
export function label(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 100) {
    throw new InvalidOptionError(`${name} must be a string of 1 to 100 characters, got ${String(value)}`);
  }
  return value;
}
