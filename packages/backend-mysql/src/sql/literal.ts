/**
 * SQL literals for the large multi-row statements of `write()`.
 *
 * mysql2's client-side formatting runs a regex over every value and costs
 * about as much as the server's insert for a 10,000-row batch; these few
 * types are all a task row holds. A string with a quote, backslash or NUL
 * goes as a hex literal, whose meaning does not depend on the session's
 * `NO_BACKSLASH_ESCAPES` mode (so it is safe on an application's pool too).
 */
export function literal(value: unknown): string {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value}`);
      return `${value}`;
    case 'string':
      return value.includes("'") || value.includes('\\') || value.includes('\0')
        ? `X'${Buffer.from(value, 'utf8').toString('hex')}'`
        : `'${value}'`;
    default:
      return value === null || value === undefined ? 'NULL' : literal(String(value));
  }
}

/** `(a,b,...)` of one row. */
export function rowLiteral(values: readonly unknown[]): string {
  let out = `(${literal(values[0])}`;
  for (let i = 1; i < values.length; i++) out += `,${literal(values[i])}`;
  return `${out})`;
}
