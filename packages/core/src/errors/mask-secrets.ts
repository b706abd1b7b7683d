/**
 * Credentials never leave Errand in an error, a log field or a cause:
 * connection URLs and `password=` pairs are masked wherever a store's text
 * may carry them (a driver echoing a malformed URL, a failed connect).
 */

// scheme://user:password@host → scheme://user:***@host (also with an empty user). Greedy up
// to the last '@' of the token: a malformed URL may hold a raw '@' or '/' in its password.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):\S*@/gi;
// password=secret, pwd=secret, "password":"secret" (connection strings, JSON).
const PAIR_PASSWORD = /\b(pass(?:word)?|pwd)(["']?\s*[=:]\s*["']?)[^\s&;,"']+/gi;

/** `text` with every credential it holds replaced by `***`. */
export function maskSecrets(text: string): string {
  return text.replace(URL_PASSWORD, '$1:***@').replace(PAIR_PASSWORD, '$1$2***');
}

/** Driver fields worth keeping on a masked copy of an error. */
const KEPT = ['code', 'errno', 'sqlState', 'sqlMessage', 'severity', 'routine'] as const;
/** Fields where Node and drivers copy what they were given (ERR_INVALID_URL keeps the URL in `input`). */
const ECHOES = ['input', 'url', 'href', 'connectionString'] as const;

/**
 * `error` if it carries no credential, else a copy whose message, stack and
 * causes are masked (the original object is left as it was: the driver may
 * still hold it). Non-errors are masked as text.
 */
export function maskError(error: unknown, depth = 0): unknown {
  if (typeof error === 'string') return maskSecrets(error);
  if (!(error instanceof Error) || depth > 4) return error;
  const message = maskSecrets(error.message);
  const stack = error.stack === undefined ? undefined : maskSecrets(error.stack);
  const cause = 'cause' in error ? maskError(error.cause, depth + 1) : undefined;
  const errors = error instanceof AggregateError ? error.errors.map((e) => maskError(e, depth + 1)) : null;
  const own = error as unknown as Record<string, unknown>;
  const echoed = ECHOES.some(
    (field) => typeof own[field] === 'string' && maskSecrets(own[field] as string) !== own[field],
  );
  const unchanged =
    !echoed &&
    message === error.message &&
    stack === error.stack &&
    cause === (error as { cause?: unknown }).cause &&
    (errors === null || errors.every((e, i) => e === (error as AggregateError).errors[i]));
  if (unchanged) return error;
  const copy = errors ? new AggregateError(errors, message) : new Error(message);
  copy.name = error.name;
  if (stack !== undefined) copy.stack = stack;
  if (cause !== undefined) Object.defineProperty(copy, 'cause', { value: cause, configurable: true });
  for (const field of [...KEPT, ...ECHOES]) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (value !== undefined) {
      (copy as unknown as Record<string, unknown>)[field] =
        typeof value === 'string' ? maskSecrets(value) : value;
    }
  }
  return copy;
}
