/**
 * SQLSTATEs after which the same statement, run again, is expected to
 * succeed: a deadlock between two batches touching the same rows in a
 * different order, a serialization failure, or a key-index clash with a
 * transaction that committed after this statement's snapshot (the retry
 * sees the holder and reports a conflict instead).
 */
const TRANSIENT = new Set(['40P01', '40001', '23505']);

export function isTransient(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && TRANSIENT.has((error as { code?: unknown }).code as string)
  );
}

/**
 * The driver's error, made readable. Connecting to `localhost` can fail
 * with an `AggregateError` (one attempt per address) whose own message is
 * empty; its parts say what happened.
 */
export function readableCause(error: unknown): unknown {
  if (!(error instanceof Error) || error.message !== '') return error;
  const parts = error instanceof AggregateError ? error.errors : [];
  const detail = parts.map((part) => (part instanceof Error ? part.message : String(part))).join('; ');
  const code = (error as { code?: unknown }).code;
  return new Error(detail || (typeof code === 'string' ? code : 'connection failed'), { cause: error });
}
