import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dashboard } from '../index.js';
import { sendWebResponse, toWebRequest } from './node-bridge.js';

/** A `node:http` / Express handler. `next` is called for paths outside the dashboard. */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/**
 * The dashboard as a `node:http` request listener or Express middleware.
 *
 * ```ts
 * http.createServer(toNodeHandler(dashboard));              // node:http
 * app.use('/tasks/dashboard', toNodeHandler(dashboard));    // Express (basePath '/tasks/dashboard')
 * ```
 *
 * With `next` (Express), a request outside `basePath` goes on to the next
 * handler; without it, the dashboard answers (404 for unknown paths).
 */
export function toNodeHandler(dashboard: Dashboard): NodeHandler {
  return (req, res, next) => {
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const pathname = url.split('?')[0]!;
    if (next && !dashboard.match(pathname)) {
      next();
      return;
    }
    dashboard
      .fetch(toWebRequest(req))
      .then((response) => sendWebResponse(response, res))
      .catch((error: unknown) => {
        if (next) next(error);
        else if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        } else res.destroy();
      });
  };
}
