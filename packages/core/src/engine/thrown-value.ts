/**
 * A task may throw anything: an Error, a string, `null`, a BigInt, a
 * Symbol, a cyclic object, an object whose getters throw. Whatever it is,
 * it becomes a readable message (and a stack when there is one) without
 * throwing again: a second throw here would escape the attempt, crash the
 * process and leave the record `running`.
 */
export function describeThrown(value: unknown): { message: string; stack: string | null } {
  try {
    if (value instanceof Error) {
      const message = safeString(() => value.message) || safeString(() => value.name) || 'Error';
      const stack = safeString(() => value.stack) || null;
      return { message, stack };
    }
  } catch {
    // `instanceof` itself can throw (a Proxy's getPrototypeOf trap): describe it as a value.
  }
  return { message: describeValue(value), stack: null };
}

function safeString(read: () => unknown): string {
  try {
    const value = read();
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}

function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'bigint':
      return `${value.toString()}n`;
    case 'symbol':
    case 'function':
    case 'undefined':
      return safeString(() => String(value)) || typeof value;
  }
  try {
    const json = JSON.stringify(value);
    if (typeof json === 'string') return json;
  } catch {
    // A cycle, a BigInt inside, a throwing getter or toJSON: fall through.
  }
  return safeString(() => Object.prototype.toString.call(value)) || 'a value that cannot be described';
}
