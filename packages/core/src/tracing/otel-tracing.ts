import type * as Otel from '@opentelemetry/api';
import type { Middleware } from '../engine/middleware.js';
import { SnoozeRequest } from '../engine/task-context.js';
import { describeThrown } from '../engine/thrown-value.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';

/** The OpenTelemetry API module, as `import('@opentelemetry/api')` gives it. */
export type OtelApi = typeof Otel;

/**
 * Loads `@opentelemetry/api` when it is installed, else null. Dynamic, so a
 * manager of an application without OpenTelemetry never loads it.
 */
export async function loadOtel(
  load: () => Promise<unknown> = () => import('@opentelemetry/api'),
): Promise<OtelApi | null> {
  try {
    const loaded = (await load()) as OtelApi & { default?: OtelApi };
    const api = loaded.trace ? loaded : loaded.default;
    return api?.trace ? api : null;
  } catch {
    return null;
  }
}

function isSnooze(value: unknown): value is SnoozeRequest {
  try {
    return value instanceof SnoozeRequest;
  } catch {
    return false;
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** The context a task's headers carry: the application's propagator first, then a plain W3C `traceparent`. */
function parentContext(api: OtelApi, headers: Readonly<Record<string, string>>): Otel.Context {
  // Never the context that happens to be active: that is whoever dispatched the attempt.
  const root = api.ROOT_CONTEXT;
  if (Object.keys(headers).length === 0) return root;
  const extracted = api.propagation.extract(root, headers);
  if (api.trace.getSpanContext(extracted)) return extracted;
  const parent = parseTraceparent(headers.traceparent);
  return parent ? api.trace.setSpanContext(root, { ...parent, isRemote: true }) : root;
}

/**
 * Traces every task with OpenTelemetry:
 * - at enqueue, the active span's context goes into the record's `headers`
 *   (through the application's propagator, and as a W3C `traceparent`
 *   when that propagator wrote none), so it travels through the store to
 *   whichever instance runs the task;
 * - each attempt runs inside a span named after the task (kind `CONSUMER`),
 *   a child of the span that enqueued it, active while the task runs (its
 *   own spans nest under it); the span ends with the attempt: status OK, or
 *   ERROR with the exception recorded (a timeout or a cancel included, even
 *   when the task ignores its signal).
 * With the API installed but no SDK registered, an attempt without a trace
 * to continue runs without any span (no cost beyond one non-recording span).
 */
export function otelMiddleware(api: OtelApi): Middleware {
  const tracer = api.trace.getTracer('@errand/core');
  return {
    enqueue(task, next) {
      const active = api.context.active();
      const span = api.trace.getSpan(active);
      if (span && api.trace.isSpanContextValid(span.spanContext())) {
        api.propagation.inject(active, task.headers);
        task.headers.traceparent ??= formatTraceparent(span.spanContext());
      }
      return next();
    },
    execute(ctx, next) {
      const options: Otel.SpanOptions = {
        kind: api.SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'errand',
          'messaging.operation.type': 'process',
          'messaging.destination.name': ctx.queue,
          'messaging.message.id': ctx.id,
          'errand.task.attempt': ctx.attempt,
        },
      };
      const parent = parentContext(api, ctx.headers);
      const span = tracer.startSpan(ctx.name, options, parent);
      // No SDK registered and no trace to continue: nothing would record or propagate it.
      if (!span.isRecording() && !api.trace.getSpanContext(parent)) return next();
      return api.context.with(api.trace.setSpan(parent, span), async () => {
        let ended = false;
        const end = (failure?: { error: unknown }) => {
          if (ended) return;
          ended = true;
          // Whatever the task threw (a Proxy whose traps throw...), tracing it must not change the outcome.
          try {
            if (!failure) span.setStatus({ code: api.SpanStatusCode.OK });
            else if (isSnooze(failure.error))
              span.addEvent('snoozed', { 'errand.snooze.ms': failure.error.ms });
            else {
              const { message } = describeThrown(failure.error);
              span.recordException(isError(failure.error) ? failure.error : message);
              span.setStatus({ code: api.SpanStatusCode.ERROR, message });
            }
          } catch {
            span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'an unreadable value was thrown' });
          } finally {
            span.end();
          }
        };
        // A timeout or cancel ends the attempt even while the function runs on.
        const onAbort = () => end({ error: ctx.signal.reason });
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        try {
          const value = await next();
          end();
          return value;
        } catch (error) {
          end({ error });
          throw error;
        } finally {
          ctx.signal.removeEventListener('abort', onAbort);
        }
      });
    },
  };
}
