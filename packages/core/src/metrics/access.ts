import { createHash, timingSafeEqual } from 'node:crypto';

/** Decides whether a request may read the metrics (a session, an IP allow-list, mTLS headers...). */
export type MetricsAuthorize = (request: Request) => boolean | Promise<boolean>;

/** Hashing both sides gives equal lengths, so the comparison takes the same time whatever was sent. */
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** What access says about one request: allowed, or the status and text to answer. */
export type AccessVerdict =
  | { allowed: true }
  | { allowed: false; status: 401 | 403; message: string; challenge?: string };

/**
 * Metrics are closed unless the application opens them, as the dashboard
 * is: with `token`, a request must send `Authorization: Bearer <token>`
 * (compared in constant time); with `authorize`, that function decides.
 * With both, either suffices.
 */
export function accessCheck(
  token: string | undefined,
  authorize: MetricsAuthorize | undefined,
  report: (error: unknown) => void,
): (request: Request) => Promise<AccessVerdict> {
  const expected = token === undefined ? null : digest(`Bearer ${token}`);
  return async (request) => {
    if (expected === null && !authorize) {
      return {
        allowed: false,
        status: 403,
        message: 'metrics are closed: pass a token or an authorize function to open them',
      };
    }
    if (expected !== null && timingSafeEqual(digest(request.headers.get('authorization') ?? ''), expected)) {
      return { allowed: true };
    }
    if (authorize) {
      try {
        if ((await authorize(request)) === true) return { allowed: true };
      } catch (error) {
        report(error);
      }
      return { allowed: false, status: 403, message: 'forbidden' };
    }
    return {
      allowed: false,
      status: 401,
      message: 'a bearer token is required',
      challenge: 'Bearer realm="errand metrics"',
    };
  };
}
