import type { RouteContext } from './api/context.js';
import { getInstances, getOverview, getSeries } from './api/fleet-routes.js';
import { getJobs, jobAction } from './api/jobs-routes.js';
import { bulkAction, cancelTask, getTask, listTasks, retryTask } from './api/tasks-routes.js';
import type { Capability } from './options.js';

/** One route of the dashboard, relative to `basePath`. */
export interface Route {
  method: 'GET' | 'POST';
  /** Segments; `:name` captures one path segment. */
  pattern: string[];
  /** What the viewer needs besides `read` (which every route needs). */
  needs: Capability | null;
  handler: (context: RouteContext) => Promise<Response>;
}

function route(
  method: Route['method'],
  path: string,
  needs: Capability | null,
  handler: Route['handler'],
): Route {
  return { method, pattern: path.split('/').filter(Boolean), needs, handler };
}

/**
 * The JSON API: public, documented in the README, and used by the page
 * itself. The page (`GET /`) and the event stream are handled by the dashboard.
 */
export const API_ROUTES: readonly Route[] = [
  route('GET', '/api/overview', null, getOverview),
  route('GET', '/api/tasks', null, listTasks),
  route('POST', '/api/tasks/bulk', null, bulkAction),
  route('GET', '/api/tasks/:id', null, getTask),
  route('POST', '/api/tasks/:id/retry', 'retry', retryTask),
  route('POST', '/api/tasks/:id/cancel', 'cancel', cancelTask),
  route('GET', '/api/jobs', null, getJobs),
  route('POST', '/api/jobs/:id/:action(pause|resume|run)', 'jobs', jobAction),
  route('GET', '/api/instances', null, getInstances),
  route('GET', '/api/series', null, getSeries),
];

/** Matches a path's segments against a pattern; `:name(a|b)` also restricts the values. */
export function matchPattern(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    const segment = segments[i]!;
    if (!part.startsWith(':')) {
      if (part !== segment) return null;
      continue;
    }
    const [, name, choices] = /^:(\w+)(?:\(([^)]*)\))?$/.exec(part)!;
    if (choices && !choices.split('|').includes(segment)) return null;
    params[name!] = segment;
  }
  return params;
}
