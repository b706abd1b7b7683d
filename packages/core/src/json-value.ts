import { InvalidArgumentsError } from './errors/invalid-arguments-error.js';

/**
 * Throws `InvalidArgumentsError` unless `value` comes back from
 * `JSON.parse(JSON.stringify(value))` equal to itself. Rejecting at enqueue
 * is the only honest option: a task that silently receives `{}` for a Map or
 * a string for a Date fails far from its cause.
 *
 * Object properties whose value is `undefined` are allowed: JSON drops them,
 * and reading them back still gives `undefined`.
 */
export function assertJsonValue(value: unknown, path: string): void {
  check(value, path, null);
}

function check(value: unknown, path: string, ancestors: unknown[] | null): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new InvalidArgumentsError(path, `is ${value}, which JSON turns into null`);
      return;
    case 'undefined':
      throw new InvalidArgumentsError(path, 'is undefined, which JSON drops or turns into null');
    case 'bigint':
      throw new InvalidArgumentsError(path, 'is a BigInt, which JSON cannot hold (pass it as a string)');
    case 'function':
      throw new InvalidArgumentsError(path, 'is a function');
    case 'symbol':
      throw new InvalidArgumentsError(path, 'is a symbol');
  }
  if (value === null) return;
  const seen = ancestors ?? [];
  if (seen.includes(value)) throw new InvalidArgumentsError(path, 'is a circular reference');
  seen.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new InvalidArgumentsError(`${path}[${i}]`, 'is a hole in a sparse array');
      check(value[i], `${path}[${i}]`, seen);
    }
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as object).constructor?.name ?? 'object';
      const hint = value instanceof Date ? ' (pass date.toISOString() or date.getTime())' : '';
      throw new InvalidArgumentsError(path, `is a ${kind} instance, not a plain object${hint}`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new InvalidArgumentsError(path, 'has symbol keys, which JSON drops');
    }
    for (const key in value) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) check(child, `${path}.${key}`, seen);
    }
  }
  seen.pop();
}

/** Whether a value is storable as a task result: JSON-safe and at most `maxBytes` once encoded. */
export function fitsAsResult(value: unknown, maxBytes: number): boolean {
  if (value === undefined) return false;
  try {
    assertJsonValue(value, 'result');
  } catch {
    return false;
  }
  const text = JSON.stringify(value);
  return Buffer.byteLength(text) <= maxBytes;
}
