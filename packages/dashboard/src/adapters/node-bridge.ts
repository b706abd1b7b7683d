import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** A request some framework may have read already (Express's `express.json()` sets `body`). */
type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

/**
 * A Node request as a Web `Request`. The URL keeps the full path (Express's
 * `originalUrl`), so the dashboard finds its own base in it; a body a body
 * parser already consumed is passed on as `parsedBody`.
 */
export function toWebRequest(req: NodeRequest, parsedBody?: string): Request {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const host = req.headers.host ?? 'localhost';
  const url = `${encrypted ? 'https' : 'http'}://${host}${req.originalUrl ?? req.url ?? '/'}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    const consumed = req.readableEnded || req.complete;
    if (parsedBody !== undefined) init.body = parsedBody;
    else if (consumed && req.body !== undefined) {
      init.body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    } else if (!consumed) {
      init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
      init.duplex = 'half';
    }
  }
  return new Request(url, init);
}

/** Waits until a response can take more, or has closed; leaves no listener behind. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes a Web `Response` to a Node response, streaming its body with
 * backpressure; when the client goes away, the body (an event stream) is cancelled.
 */
export async function sendWebResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  res.once('close', cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
      if (res.destroyed) break;
    }
  } catch {
    // The client left mid-stream: nothing more to send.
  } finally {
    res.off('close', cancel);
    if (res.destroyed) cancel();
    else res.end();
  }
}
