import { createHash, timingSafeEqual } from 'node:crypto';
import { DashboardOptionError } from './errors.js';
import { type Authorize, type AuthorizeResult, CAPABILITIES, type Capability } from './options.js';

/** Options of {@link basicAuth}. */
export interface BasicAuthOptions {
  username: string;
  password: string;
  /** What the browser's login prompt names. Default `'Errand dashboard'`. */
  realm?: string;
  /** What this login may do. Default: everything (`true`). */
  capabilities?: true | readonly Capability[];
}

// Hashing both sides first gives equal-length buffers, so the comparison takes
// the same time whatever the input's length or content (no length oracle either).
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * An `authorize` function that accepts one user name and password over HTTP
 * Basic auth, compared in constant time. A missing or wrong login answers
 * 401 with `WWW-Authenticate`, so the browser asks for it. Use it behind
 * HTTPS: Basic auth sends the password with every request.
 *
 * ```ts
 * createDashboard({ manager, authorize: basicAuth({ username: 'ops', password: process.env.DASHBOARD_PASSWORD! }) });
 * ```
 */
export function basicAuth(options: BasicAuthOptions): Authorize {
  const { username, password } = options ?? ({} as BasicAuthOptions);
  if (typeof username !== 'string' || username === '' || username.includes(':')) {
    throw new DashboardOptionError('basicAuth needs a non-empty username without ":"');
  }
  if (typeof password !== 'string' || password === '') {
    throw new DashboardOptionError('basicAuth needs a non-empty password');
  }
  const realm = (options.realm ?? 'Errand dashboard').replace(/["\\]/g, '');
  const expected = digest(`${username}:${password}`);
  const granted = options.capabilities ?? true;
  const authorize: Authorize = (request) => {
    const header = request.headers.get('authorization') ?? '';
    if (!/^basic /i.test(header)) return false;
    const given = digest(Buffer.from(header.slice(6).trim(), 'base64').toString('utf8'));
    return timingSafeEqual(given, expected) ? granted : false;
  };
  authorize.challenge = `Basic realm="${realm}", charset="UTF-8"`;
  return authorize;
}

/** Turns what `authorize` answered into the set of capabilities granted (empty: refused). */
export function grantedCapabilities(result: AuthorizeResult): ReadonlySet<Capability> {
  if (result === true) return new Set(CAPABILITIES);
  if (!Array.isArray(result)) return new Set();
  return new Set(
    (result as readonly unknown[]).filter((c): c is Capability => CAPABILITIES.includes(c as Capability)),
  );
}

/**
 * Whether an action comes from the dashboard's own page: browsers send
 * `Sec-Fetch-Site: same-origin` on it, and an `Origin` equal to the page's.
 * Anything else (a form on another site, a script elsewhere) is refused.
 */
export function isSameOrigin(request: Request, allowedOrigins: ReadonlySet<string>): boolean {
  if (request.headers.get('sec-fetch-site') === 'same-origin') return true;
  const origin = request.headers.get('origin');
  if (!origin || origin === 'null') return false;
  return origin === new URL(request.url).origin || allowedOrigins.has(origin);
}
