// Server-shaped workload (issue #23): a node:http server whose POST handler
// reads a small JSON body and enqueues one task (awaiting the enqueue, then
// answering 202 with the id), loaded by autocannon from its own process
// (server-load.mjs) with `connections` connections for `seconds`. Reports
// what autocannon saw, and how many tasks had run by the end of the load and
// within `drainMs` after it.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../systems/system.mjs';

const LOAD = fileURLToPath(new URL('./server-load.mjs', import.meta.url));

function runLoad(options) {
  return new Promise((resolve, reject) => {
    const child = fork(LOAD, [JSON.stringify(options)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let result = null;
    child.on('message', (message) => {
      result = message;
    });
    child.on('exit', (code) => {
      if (result?.ok) resolve(result);
      else reject(new Error(result?.error ?? `the load process exited with ${code}`));
    });
  });
}

/**
 * @param {import('../systems/system.mjs').System} system
 * @param {{ connections: number, seconds: number, drainMs: number }} options
 */
export async function measureServer(system, { connections, seconds, drainMs }) {
  await system.start(() => {});
  let i = 0;
  let accepted = 0;
  let failed = 0;
  let firstError = null;
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      try {
        // A handler validates its body; the task's payload is the request number.
        JSON.parse(Buffer.concat(chunks).toString() || '{}');
        const enqueued = await system.enqueue(i++);
        accepted++;
        const id = typeof enqueued === 'string' ? enqueued : enqueued?.id;
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
      } catch (error) {
        failed++;
        firstError ??= error;
        res.writeHead(500).end();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address();
    const load = await runLoad({ url: `http://127.0.0.1:${port}/tasks`, connections, seconds });
    const completedDuringLoad = system.completed();
    const drainUntil = performance.now() + drainMs;
    await waitFor(() => system.completed() >= accepted || performance.now() >= drainUntil, 20);
    if (failed > 0 && accepted === 0) throw firstError;
    return {
      requestsPerSecond: load.requestsPerSecond,
      p50: load.p50,
      p99: load.p99,
      requests: load.requests,
      non2xx: load.non2xx,
      loadErrors: load.errors,
      accepted,
      failed,
      completedDuringLoad,
      completed: system.completed(),
    };
  } finally {
    server.closeAllConnections();
    server.close();
    await system.stop();
  }
}
