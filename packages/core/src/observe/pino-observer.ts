import { InvalidOptionError } from '../errors/invalid-option-error.js';
import type { Observer, ObserverLevel, TaskEvent } from './observer.js';

/** The part of a pino logger the adapter uses (any pino version; no import of pino). */
export type PinoLike = Record<ObserverLevel, (object: Record<string, unknown>, message: string) => void>;

/**
 * Sends every task event to a pino logger at the event's level, with the
 * task's identity as fields (`taskId`, `task`, `attempt`, `queue`, `event`,
 * `tags`), a `ctx.log()` line's own fields under `fields`, and `error`:
 *
 * ```ts
 * import pino from 'pino';
 * new TaskManager({ observers: [pinoObserver(pino())] });
 * ```
 *
 * pino is an optional peer: the adapter only calls the logger it is given.
 */
export function pinoObserver(logger: PinoLike): Observer {
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof logger?.[level] !== 'function') {
      throw new InvalidOptionError(`pinoObserver: the logger has no ${level}() method`);
    }
  }
  return {
    onEvent(event: TaskEvent) {
      const object: Record<string, unknown> = {
        event: event.type,
        taskId: event.taskId,
        task: event.name,
        attempt: event.attempt,
        queue: event.queue,
      };
      if (Object.keys(event.tags).length > 0) object.tags = event.tags;
      if (event.fields !== undefined) object.fields = event.fields;
      if (event.error !== undefined) object.error = event.error;
      logger[event.level](object, event.message);
    },
  };
}
