import type { RouteContext } from './api/context.js';
import { toHttpError } from './api/task-actions.js';
import { grantedCapabilities, isSameOrigin } from './auth.js';
import { HttpError } from './errors.js';
import {
  errorResponse,
  htmlResponse,
  httpErrorResponse,
  newNonce,
  streamResponse,
} from './http/responses.js';
import { EventHub } from './live/event-hub.js';
import { type Capability, type DashboardOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { renderClosedPage, renderPage } from './page/page-html.js';
import { API_ROUTES, matchPattern, type Route } from './routes.js';

/** A mounted dashboard: one Web-standard handler, plus what the adapters need. */
export interface Dashboard {
  /**
   * Answers one request (page, JSON API, event stream). Paths may carry the
   * `basePath` or have it removed already (Hono's `mount`, Express's `use`).
   * Bound: pass it around as a plain function.
   */
  readonly fetch: (request: Request) => Promise<Response>;
  /** The normalized mount path, without a trailing slash (`''` at the root). */
  readonly basePath: string;
  /** Whether a request path (with its base) belongs to the dashboard. */
  match(pathname: string): boolean;
  /** Ends open event streams and stops listening to the manager. */
  close(): void;
}

const PAGE_PATHS = new Set(['', '/', '/index.html']);

/**
 * Creates the dashboard of a manager (and optionally its scheduler). Mount
 * `dashboard.fetch` in any server; it is closed (403 everywhere) until an
 * `authorize` option opens it.
 *
 * ```ts
 * const dashboard = createDashboard({
 *   manager, scheduler, basePath: '/tasks/dashboard',
 *   authorize: basicAuth({ username: 'ops', password: process.env.DASHBOARD_PASSWORD! }),
 * });
 * app.mount('/tasks/dashboard', dashboard.fetch); // Hono
 * ```
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const resolved = resolveOptions(options);
  const hub = new EventHub(resolved);
  const base = resolved.basePath;
  const match = (pathname: string) => base === '' || pathname === base || pathname.startsWith(`${base}/`);
  const fetch = async (request: Request): Promise<Response> => {
    try {
      const response = await handle(resolved, hub, request);
      if (request.method !== 'HEAD') return response;
      // The headers of the GET answer, without its body (an event stream is closed at once).
      await response.body?.cancel();
      return new Response(null, response);
    } catch (error) {
      return failure(resolved, error);
    }
  };
  return { fetch, basePath: base, match, close: () => hub.close() };
}

function failure(options: ResolvedOptions, error: unknown): Response {
  const http = toHttpError(error);
  if (http) return httpErrorResponse(http);
  // The message may hold what a viewer should not see: it goes to the log, not the answer.
  options.logger.error('dashboard: request failed', {
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  return errorResponse(500, 'ERR_INTERNAL', 'the dashboard could not answer; see the server log');
}

async function handle(options: ResolvedOptions, hub: EventHub, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const base = options.basePath;
  const path =
    base !== '' && (url.pathname === base || url.pathname.startsWith(`${base}/`))
      ? url.pathname.slice(base.length)
      : url.pathname;
  const isPage = !path.startsWith('/api/');
  const refuse = (
    status: number,
    code: string,
    message: string,
    reason: 'no-authorize' | 'refused',
    extra = {},
  ) => {
    if (!isPage) return errorResponse(status, code, message, extra);
    const nonce = newNonce();
    return htmlResponse(renderClosedPage(options.title, reason, nonce), status, nonce, extra);
  };

  if (!options.authorize) {
    return refuse(
      403,
      'ERR_DASHBOARD_CLOSED',
      'the dashboard is closed: pass an authorize option to open it',
      'no-authorize',
    );
  }
  let capabilities: ReadonlySet<Capability>;
  try {
    capabilities = grantedCapabilities(await options.authorize(request));
  } catch (error) {
    options.logger.error('dashboard: authorize threw; access refused', {
      error: error instanceof Error ? error.message : String(error),
    });
    capabilities = new Set();
  }
  if (!capabilities.has('read')) {
    const challenge = options.authorize.challenge;
    if (challenge && capabilities.size === 0) {
      return refuse(401, 'ERR_UNAUTHORIZED', 'log in to open the dashboard', 'refused', {
        'www-authenticate': challenge,
      });
    }
    return refuse(403, 'ERR_FORBIDDEN', 'this login may not open the dashboard', 'refused');
  }

  const method = request.method === 'HEAD' ? 'GET' : request.method;
  if (method !== 'GET' && !isSameOrigin(request, options.allowedOrigins)) {
    return errorResponse(403, 'ERR_CROSS_ORIGIN', 'actions must come from the dashboard page (same origin)');
  }

  if (PAGE_PATHS.has(path)) {
    if (method !== 'GET') return errorResponse(405, 'ERR_METHOD', 'use GET', { allow: 'GET, HEAD' });
    const nonce = newNonce();
    const config = {
      basePath: base,
      capabilities: [...capabilities],
      displayArgs: options.displayArgs,
      instanceId: options.manager.instanceId,
      title: options.title,
    };
    return htmlResponse(renderPage(config, nonce), 200, nonce);
  }
  if (path === '/api/events') {
    if (method !== 'GET') return errorResponse(405, 'ERR_METHOD', 'use GET', { allow: 'GET' });
    return streamResponse(hub.open(request.headers.get('last-event-id')));
  }

  let segments: string[];
  try {
    segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return errorResponse(400, 'ERR_BAD_REQUEST', 'the path is not valid percent-encoding');
  }
  let allowed: Route['method'][] = [];
  for (const route of API_ROUTES) {
    const params = matchPattern(route.pattern, segments);
    if (!params) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    if (route.needs && !capabilities.has(route.needs)) {
      throw new HttpError(
        403,
        'ERR_FORBIDDEN',
        `this login may not ${route.needs === 'jobs' ? 'control jobs' : `${route.needs} tasks`}`,
      );
    }
    const context: RouteContext = {
      request,
      url,
      params,
      options,
      hub,
      capabilities,
      who: options.identify(request) ?? 'anonymous',
    };
    return route.handler(context);
  }
  allowed = [...new Set(allowed)];
  if (allowed.length > 0) {
    return errorResponse(405, 'ERR_METHOD', `use ${allowed.join(' or ')}`, { allow: allowed.join(', ') });
  }
  return errorResponse(404, 'ERR_NOT_FOUND', `no dashboard route ${path}`);
}
