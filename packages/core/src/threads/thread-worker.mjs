// The worker side of `thread: true` tasks, run by piscina in each pool thread.
// Plain JavaScript on purpose: worker threads load it as it is, from src/ in
// the tests as from dist/ once built (the build copies it).

/** ctx.snooze() in a thread: the main thread turns it into a real snooze. */
class SnoozeRequest {
  constructor(ms) {
    this.ms = ms;
  }
}

const handlers = new Map();

async function handlerOf(module) {
  let handler = handlers.get(module);
  if (!handler) {
    const loaded = await import(module);
    handler = loaded.default;
    if (typeof handler !== 'function') {
      throw new TypeError(`${module} has no default export function (ctx, ...args) => result`);
    }
    handlers.set(module, handler);
  }
  return handler;
}

/** Error objects cross as plain fields: a structured clone drops `code` and custom names. */
function describe(error) {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack ?? null, code: error.code ?? null };
  }
  let message;
  try {
    message = typeof error === 'string' ? error : `a non-Error value was thrown: ${String(error)}`;
  } catch {
    message = 'a non-Error value was thrown';
  }
  return { name: 'Error', message, stack: null, code: null };
}

/**
 * Runs one attempt: imports the task module, calls its default export with a
 * ctx whose log() and progress() reach the main thread at once through
 * `port`, and reports how many messages it sent, so the main thread settles
 * the attempt only after every one of them arrived.
 */
export default async function runThreadTask({ module, args, port, task }) {
  let sent = 0;
  const post = (message) => {
    port.postMessage(message);
    sent++;
  };
  const ctx = {
    ...task,
    // A timeout or cancel terminates this thread, so this signal never needs to fire.
    signal: new AbortController().signal,
    log(message, fields) {
      let copy;
      if (fields !== undefined) {
        try {
          copy = JSON.parse(JSON.stringify(fields));
        } catch (error) {
          throw new TypeError(`log fields must be JSON values: ${error.message}`);
        }
      }
      post({ type: 'log', message: String(message), fields: copy });
    },
    progress(value) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new TypeError(`progress must be a finite number, got ${String(value)}`);
      }
      post({ type: 'progress', value });
    },
    snooze(ms) {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 2_147_483_647) {
        throw new TypeError(`snooze takes a number of ms from 0 to 2147483647, got ${String(ms)}`);
      }
      throw new SnoozeRequest(ms);
    },
  };
  try {
    const handler = await handlerOf(module);
    const value = await handler(ctx, ...args);
    return { sent, value };
  } catch (error) {
    if (error instanceof SnoozeRequest) return { sent, snooze: error.ms };
    return { sent, error: describe(error) };
  }
  // The main thread closes the channel once it has every message: closing here could drop the last ones.
}
