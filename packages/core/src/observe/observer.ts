import type { Logger } from '../backend/backend.js';
import { describeThrown } from '../engine/thrown-value.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import type { TaskEvents, TaskSnapshot } from '../events.js';
import type { TaskLogLine, TaskStatus } from '../model/task-record.js';

/** How much an event matters, as loggers rank it. */
export type ObserverLevel = 'debug' | 'info' | 'warn' | 'error';

/** What happened to a task: a lifecycle transition, or a `ctx.log()` line (`log`). */
export type TaskEventType =
  | 'enqueued'
  | 'started'
  | 'success'
  | 'retrying'
  | 'failed'
  | 'interrupted'
  | 'cancelled'
  | 'expired'
  | 'rejected'
  | 'lost'
  | 'log';

/** One event as every observer receives it. */
export interface TaskEvent {
  type: TaskEventType;
  level: ObserverLevel;
  /** Epoch ms: when it happened (a log line's own time). */
  at: number;
  taskId: string;
  name: string;
  /** The attempt it belongs to (0 before the first starts). */
  attempt: number;
  queue: string;
  tags: Readonly<Record<string, string>>;
  /** The task's status once the event happened. */
  status: TaskStatus;
  /** A readable line: the log line's text, or what the transition was. */
  message: string;
  /** The log line's fields (`log` events only). */
  fields?: Record<string, unknown>;
  /** The error's message (`retrying`, `failed`, `interrupted`, `lost`...). */
  error?: string;
}

/**
 * Anything that wants every task event: `{ onEvent(event) }`. `onEvent` is
 * called synchronously on the task's path, so it must be quick (buffer, do
 * not await); what it throws is logged and never reaches the task.
 * `close()` is awaited by `manager.stop()`, after the last event.
 */
export interface Observer {
  onEvent(event: TaskEvent): void;
  close?(): void | Promise<void>;
}

const LEVELS: Record<Exclude<TaskEventType, 'log'>, ObserverLevel> = {
  enqueued: 'info',
  started: 'info',
  success: 'info',
  retrying: 'warn',
  failed: 'error',
  interrupted: 'warn',
  cancelled: 'info',
  expired: 'warn',
  rejected: 'warn',
  lost: 'warn',
};

const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

/** The event of a task at this moment; `tags` copied, since a retry may change them later. */
function eventOf(type: TaskEventType, task: TaskSnapshot, message: string, at = Date.now()): TaskEvent {
  return {
    type,
    level: type === 'log' ? 'info' : LEVELS[type],
    at,
    taskId: task.id,
    name: task.name,
    attempt: task.attempt,
    queue: task.queue,
    tags: Object.keys(task.tags).length === 0 ? NO_TAGS : { ...task.tags },
    status: task.status,
    message,
  };
}

function withError(event: TaskEvent, error: string | null | undefined): TaskEvent {
  if (error) event.error = error;
  return event;
}

/** The manager events observers hear, turned into {@link TaskEvent}s. */
const MAPPINGS: {
  [E in TaskEventType]: (...args: Parameters<TaskEvents[E]>) => TaskEvent;
} = {
  enqueued: (task) =>
    eventOf(
      'enqueued',
      task,
      task.runAt > Date.now() ? `enqueued, due ${new Date(task.runAt).toISOString()}` : 'enqueued',
    ),
  started: (task) => eventOf('started', task, `started attempt ${task.attempt} of ${task.maxAttempts}`),
  success: (task) => eventOf('success', task, `succeeded in ${task.duration ?? 0} ms`),
  retrying: (task, error, delayMs) => {
    const { message } = describeThrown(error);
    return withError(
      eventOf('retrying', task, `attempt ${task.attempt} failed: ${message}; retrying in ${delayMs} ms`),
      message,
    );
  },
  failed: (task, error) => {
    const { message } = describeThrown(error);
    return withError(eventOf('failed', task, `failed after ${task.attempt} attempt(s): ${message}`), message);
  },
  interrupted: (task) =>
    withError(eventOf('interrupted', task, `interrupted: ${task.error ?? ''}`), task.error),
  cancelled: (task) => eventOf('cancelled', task, 'cancelled'),
  expired: (task) => withError(eventOf('expired', task, `expired: ${task.error ?? ''}`), task.error),
  rejected: (task) =>
    withError(eventOf('rejected', task, `rejected: ${task.error ?? 'queue full'}`), task.error),
  lost: (task, reason) => withError(eventOf('lost', task, `lost to another instance: ${reason}`), reason),
  log: (task, line: TaskLogLine) => {
    const event = eventOf('log', task, line.message, line.at);
    if (line.fields !== undefined) event.fields = line.fields;
    return event;
  },
};

/** Checks the `observers` option: each must have an `onEvent` function. */
export function checkObservers(observers: unknown): Observer[] {
  if (observers === undefined) return [];
  if (!Array.isArray(observers)) throw new InvalidOptionError('observers must be an array');
  observers.forEach((observer, i) => {
    if (!observer || typeof (observer as Observer).onEvent !== 'function') {
      throw new InvalidOptionError(`observers[${i}] must be an object with an onEvent(event) method`);
    }
  });
  return observers as Observer[];
}

/** What observers subscribe to: the manager's `on`. */
interface EventSource {
  on<E extends keyof TaskEvents>(event: E, listener: TaskEvents[E]): unknown;
}

/**
 * Subscribes `observers` to every task event of `source`. Each observer is
 * called on its own: one that throws is logged and the others still hear the
 * event. Returns what closes them all (once).
 */
export function attachObservers(
  source: EventSource,
  observers: readonly Observer[],
  logger: Logger,
): () => Promise<void> {
  if (observers.length === 0) return async () => {};
  const deliver = (event: TaskEvent) => {
    for (const observer of observers) {
      try {
        observer.onEvent(event);
      } catch (error) {
        logger.error('an observer threw', { error: describeThrown(error).message, event: event.type });
      }
    }
  };
  for (const type of Object.keys(MAPPINGS) as TaskEventType[]) {
    const map = MAPPINGS[type] as (...args: unknown[]) => TaskEvent;
    source.on(type, ((...args: unknown[]) => deliver(map(...args))) as TaskEvents[typeof type]);
  }
  let closing: Promise<void> | null = null;
  return () => {
    closing ??= Promise.all(
      observers.map(async (observer) => {
        try {
          await observer.close?.();
        } catch (error) {
          logger.error('an observer failed to close', { error: describeThrown(error).message });
        }
      }),
    ).then(() => {});
    return closing;
  };
}
