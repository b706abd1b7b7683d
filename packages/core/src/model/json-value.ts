import { InvalidArgumentsError } from '../errors/invalid-arguments-error.js';

/**
 * Throws `InvalidArgumentsError` unless `value` comes back from
 * `JSON.parse(JSON.stringify(value))` equal to itself. Rejecting at enqueue
 * is the only honest option: a task that silently receives `{}` for a Map or
 * a string for a Date fails far from its cause.
 *
 * Object properties whose value is `undefined` are allowed: JSON drops them,
 * and reading them back still gives `undefined`. A getter or a Proxy trap
 * that throws is reported at its path, as any other unusable value.
 */
export function assertJsonValue(value: unknown, path: string): void {
  measureJsonValue(value, path);
}

/**
 * `assertJsonValue`, returning an upper bound of the value's JSON size in
 * UTF-8 bytes (cheap: no string is built). Callers that enforce a size
 * limit compute the exact size only when this bound exceeds it.
 */
export function measureJsonValue(value: unknown, path: string): number {
  return check(value, path, []);
}

/** Exact UTF-8 size of a value's JSON text (the value is known to be JSON-safe). */
export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

// A UTF-16 unit becomes at most 6 bytes of JSON (`\u001f`), plus the quotes.
const stringBound = (text: string) => text.length * 6 + 2;

function check(value: unknown, path: string, seen: unknown[]): number {
  switch (typeof value) {
    case 'string':
      return stringBound(value);
    case 'boolean':
      return 5;
    case 'number':
      if (!Number.isFinite(value))
        throw new InvalidArgumentsError(path, `is ${value}, which JSON turns into null`);
      return 24;
    case 'undefined':
      throw new InvalidArgumentsError(path, 'is undefined, which JSON drops or turns into null');
    case 'bigint':
      throw new InvalidArgumentsError(path, 'is a BigInt, which JSON cannot hold (pass it as a string)');
    case 'function':
      throw new InvalidArgumentsError(path, 'is a function');
    case 'symbol':
      throw new InvalidArgumentsError(path, 'is a symbol');
  }
  if (value === null) return 4;
  if (seen.includes(value)) throw new InvalidArgumentsError(path, 'is a circular reference');
  seen.push(value);
  let bytes = 2;
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) throw new InvalidArgumentsError(`${path}[${i}]`, 'is a hole in a sparse array');
        bytes += check(read(value, i, `${path}[${i}]`), `${path}[${i}]`, seen) + 1;
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
        const child = read(value as Record<string, unknown>, key, `${path}.${key}`);
        if (child !== undefined) bytes += stringBound(key) + 1 + check(child, `${path}.${key}`, seen) + 1;
      }
    }
  } catch (error) {
    if (error instanceof InvalidArgumentsError) throw error;
    // A Proxy trap (getPrototypeOf, ownKeys...) threw while looking at the value itself.
    throw new InvalidArgumentsError(path, `cannot be read: ${readable(error)}`);
  }
  seen.pop();
  return bytes;
}

/** Reads a property, turning a throwing getter into an error at its path. */
function read(
  holder: Record<string | number, unknown> | unknown[],
  key: string | number,
  path: string,
): unknown {
  try {
    return (holder as Record<string | number, unknown>)[key];
  } catch (error) {
    throw new InvalidArgumentsError(path, `cannot be read: its getter threw ${readable(error)}`);
  }
}

function readable(error: unknown): string {
  try {
    return error instanceof Error ? `"${error.message}"` : String(error);
  } catch {
    return 'an unreadable value';
  }
}

/** Whether a value is storable as a task result: JSON-safe and at most `maxBytes` once encoded. */
export function fitsAsResult(value: unknown, maxBytes: number): boolean {
  if (value === undefined) return false;
  try {
    if (measureJsonValue(value, 'result') <= maxBytes) return true;
    return jsonByteLength(value) <= maxBytes;
  } catch {
    return false;
  }
}
