import { InvalidOptionError } from '../errors/invalid-option-error.js';

/** The part of a `node:http` `ServerResponse` (Express's `res`) this uses. */
interface NodeResponse {
  statusCode: number;
  writableFinished?: boolean;
  destroyed?: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
  off?(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * What `afterResponse()` takes: a `node:http` / Express response, a Fastify
 * reply (its `raw`), or a Hono context served by `@hono/node-server`
 * (`c.env.outgoing`).
 */
export type ResponseTarget =
  | NodeResponse
  | { raw: NodeResponse }
  | { env?: { outgoing?: NodeResponse } | unknown; req: unknown };

/** Options of {@link afterResponse}. */
export interface AfterResponseOptions {
  /** Whether a sent response counts as a success. Default: status below 400. */
  succeeded?: (statusCode: number) => boolean;
  /** Where an error of `work` goes. Default: `console.error`. */
  onError?: (error: unknown) => void;
}

function isNodeResponse(value: unknown): value is NodeResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NodeResponse).once === 'function' &&
    typeof (value as NodeResponse).statusCode === 'number'
  );
}

/** The Node response behind whatever the framework handed the route. */
function nodeResponse(target: ResponseTarget): NodeResponse {
  if (isNodeResponse(target)) return target;
  const raw = (target as { raw?: unknown }).raw;
  if (isNodeResponse(raw)) return raw;
  const outgoing = (target as { env?: { outgoing?: unknown } }).env?.outgoing;
  if (isNodeResponse(outgoing)) return outgoing;
  throw new InvalidOptionError(
    'afterResponse takes a node:http or Express response, a Fastify reply, or a Hono context served by @hono/node-server (c.env.outgoing)',
  );
}

/**
 * Runs `work` (typically `() => handle.enqueue(args)`) once the response
 * has been sent, as FastAPI's BackgroundTasks do, and never when the
 * request failed: a response that ended with an error status (400 and
 * above, see `succeeded`), or whose connection closed before it was sent
 * in full. Resolves to whether `work` ran; its error goes to `onError`,
 * never to an unhandled rejection.
 *
 * ```ts
 * app.post('/signup', async (req, res) => {            // Express, node:http
 *   const user = await createUser(req.body);
 *   afterResponse(res, () => manager.tasks.welcome.enqueue([user.email]));
 *   res.status(201).json(user);
 * });
 * fastify.post('/signup', async (request, reply) => { afterResponse(reply, ...); return user; });
 * hono.post('/signup', async (c) => { afterResponse(c, ...); return c.json(user, 201); });
 * ```
 */
export function afterResponse(
  target: ResponseTarget,
  work: () => unknown,
  options: AfterResponseOptions = {},
): Promise<boolean> {
  const res = nodeResponse(target);
  if (typeof work !== 'function') throw new InvalidOptionError('afterResponse: work must be a function');
  const succeeded = options.succeeded ?? ((status: number) => status < 400);
  const onError =
    options.onError ?? ((error: unknown) => console.error('[errand] afterResponse work failed', error));
  const run = async (): Promise<boolean> => {
    if (!succeeded(res.statusCode)) return false;
    try {
      await work();
    } catch (error) {
      onError(error);
    }
    return true;
  };
  if (res.writableFinished) return run();
  if (res.destroyed) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    // 'finish': the whole response was handed to the OS. 'close' first: the client went away.
    const onFinish = () => {
      res.off?.('close', onClose);
      resolve(run());
    };
    const onClose = () => {
      res.off?.('finish', onFinish);
      resolve(res.writableFinished ? run() : false);
    };
    res.once('finish', onFinish);
    res.once('close', onClose);
  });
}
