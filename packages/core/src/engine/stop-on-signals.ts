/** Options of `manager.stopOnSignals()`. */
export interface StopOnSignalsOptions {
  /**
   * An HTTP server (node:http, Express's, Fastify's `server`...) to close
   * first, so no new request arrives while the manager stops.
   */
  server?: { close(callback?: (error?: Error) => void): unknown };
  /** How long running tasks may take to finish, in ms (`stop({ timeout })`). Default 10000. */
  timeout?: number;
  /** Signals to handle. Default `['SIGTERM', 'SIGINT']`. */
  signals?: NodeJS.Signals[];
  /** Exit the process once stopped: code 0 after a clean stop, 1 otherwise. Default true. */
  exit?: boolean;
}

/** How long requests in flight may take to finish before the manager stops anyway. */
const REQUEST_GRACE_MS = 5000;

/**
 * The shutdown every server needs, in the right order: on the first signal,
 * stop accepting connections and let requests in flight finish (they may
 * still enqueue), stop the manager (finishing and saving tasks within
 * `timeout`), then exit. A second signal exits at once with code 1.
 * Returns a function that removes the handlers.
 */
export function stopOnSignals(
  stop: (timeout: number) => Promise<void>,
  log: (message: string, fields?: Record<string, unknown>) => void,
  options: StopOnSignalsOptions = {},
): () => void {
  const { server, timeout = 10_000, signals = ['SIGTERM', 'SIGINT'], exit = true } = options;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: closing the server and stopping the task manager`, { timeout });
    const closed = server
      ? new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Keep-alive connections would hold close() open until the client leaves.
          const closeIdle = (server as { closeIdleConnections?: () => void }).closeIdleConnections;
          closeIdle?.call(server);
        })
      : Promise.resolve();
    const grace = new Promise<void>((resolve) =>
      setTimeout(resolve, Math.min(timeout, REQUEST_GRACE_MS)).unref(),
    );
    void Promise.race([closed, grace])
      .then(() => stop(timeout))
      .then(
        () => {
          if (exit) process.exit(0);
        },
        (error: unknown) => {
          log('stop failed', { error: error instanceof Error ? error.message : String(error) });
          if (exit) process.exit(1);
        },
      );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
