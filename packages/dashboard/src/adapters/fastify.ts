import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Dashboard } from '../index.js';
import { sendWebResponse, toWebRequest } from './node-bridge.js';

/** Options of {@link fastifyDashboard}. */
export interface FastifyDashboardOptions {
  /** What `createDashboard()` returned; its `basePath` is where the routes go. */
  dashboard: Dashboard;
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const BODY_LIMIT = 256 * 1024;

/**
 * A Fastify plugin serving the dashboard at its `basePath`. Register it
 * without a `prefix` (the base path is the dashboard's own):
 *
 * ```ts
 * await app.register(fastifyDashboard, { dashboard });
 * ```
 *
 * The plugin's routes read bodies as text (the dashboard parses them), and
 * answer through the raw response, so event streams flow as they come.
 */
export async function fastifyDashboard(
  instance: FastifyInstance,
  options: FastifyDashboardOptions,
): Promise<void> {
  const { dashboard } = options;
  if (!dashboard || typeof dashboard.fetch !== 'function') {
    throw new TypeError('fastifyDashboard needs { dashboard }: what createDashboard() returned');
  }
  // Encapsulated in this plugin: the host application's own parsers are untouched.
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const body = typeof request.body === 'string' ? request.body : undefined;
    const response = await dashboard.fetch(toWebRequest(request.raw, body));
    await sendWebResponse(response, reply.raw);
  };
  const base = dashboard.basePath;
  instance.route({ method: METHODS, url: base === '' ? '/' : base, handler, exposeHeadRoute: false });
  instance.route({ method: METHODS, url: `${base}/*`, handler, exposeHeadRoute: false });
}
