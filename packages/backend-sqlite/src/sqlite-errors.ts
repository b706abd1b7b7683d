import type { BackendFailure } from '@errand/core';

// Sending the same records again fails again: too long, wrong type, a constraint of the schema
// (better-sqlite3 gives extended codes), or thrown before SQLite saw the row: a string above
// SQLITE_LIMIT_LENGTH, a value it cannot bind, a field JSON.stringify cannot encode.
const REFUSED = /^SQLITE_(TOOBIG|MISMATCH|RANGE|CONSTRAINT_(CHECK|NOTNULL|DATATYPE))$/;
const UNSTORABLE = /too big|can only bind|BigInt|circular structure|Invalid string length/;
const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;

/** `'refused'` when SQLite or better-sqlite3 rejected the data itself, `'unavailable'` otherwise. */
export function classifySqliteError(error: unknown): BackendFailure {
  const code = codeOf(error);
  if (typeof code === 'string') return REFUSED.test(code) ? 'refused' : 'unavailable';
  const unstorable =
    (error instanceof RangeError || error instanceof TypeError) && UNSTORABLE.test(error.message);
  return unstorable ? 'refused' : 'unavailable';
}

/** Another connection held the lock past the busy timeout: the whole call may run again. */
export const isTransientSqliteError = (error: unknown): boolean =>
  /^SQLITE_(BUSY|LOCKED)/.test(String(codeOf(error)));
