// The load generator of the server workload, in its own process so that it
// does not share the server's event loop: autocannon POSTs a small JSON body
// and sends its summary to the parent over IPC.
//   node server-load.mjs '{"url":"http://127.0.0.1:port/tasks","connections":32,"seconds":20}'
import autocannon from 'autocannon';

const { url, connections, seconds } = JSON.parse(process.argv[2]);
process.on('disconnect', () => process.exit(1));

autocannon(
  {
    url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 42, email: 'ada@example.com' }),
  },
  (error, result) => {
    const reply = error
      ? { ok: false, error: error.stack ?? String(error) }
      : {
          ok: true,
          requestsPerSecond: result.requests.total / (result.duration || seconds),
          p50: result.latency.p50,
          p99: result.latency.p99,
          requests: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        };
    process.send(reply, () => process.exit(0));
  },
);
