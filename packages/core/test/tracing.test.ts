import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend, TaskManager, type TaskManagerOptions } from '../src/index.js';
import { waitFor, waitForIdle } from '../src/testing/index.js';
import { loadOtel } from '../src/tracing/otel-tracing.js';
import { formatTraceparent, parseTraceparent } from '../src/tracing/traceparent.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = trace.getTracer('test');
const managers: TaskManager[] = [];

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});

afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
  exporter.reset();
  propagation.disable();
});

function make(options: TaskManagerOptions<Record<never, never>> = {}): TaskManager {
  const manager = new TaskManager({ logger: false, ...options });
  managers.push(manager);
  return manager;
}

const spanNamed = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** Enqueues inside a request span and returns both. */
async function enqueueInRequest(manager: TaskManager, name: string, args: unknown[] = []) {
  return tracer.startActiveSpan('POST /orders', async (request) => {
    const id = await manager.enqueue(name, args);
    request.end();
    return { id, request };
  });
}

describe('OpenTelemetry tracing', () => {
  for (const propagator of ['the application propagator (W3C)', 'no propagator: the built-in traceparent']) {
    it(`runs each attempt in a span named after the task, a child of the enqueuing span (${propagator})`, async () => {
      if (propagator.startsWith('the application'))
        propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      const manager = make({ backend: new MemoryBackend() });
      let innerParent: string | undefined;
      manager.define('ship', async () => {
        // The task's own spans nest under its attempt span.
        tracer.startActiveSpan('db.query', (span) => {
          innerParent = span.spanContext().spanId;
          span.end();
        });
        return 'shipped';
      });
      await manager.start();
      const { id, request } = await enqueueInRequest(manager, 'ship');
      await manager.result(id);
      await waitFor(() => spanNamed('ship').length === 1, 2000, 'the task span');
      const [span] = spanNamed('ship');
      expect(span!.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(parentOf(span!)).toBe(request.spanContext().spanId);
      expect(span!.kind).toBe(SpanKind.CONSUMER);
      expect(span!.status.code).toBe(SpanStatusCode.OK);
      expect(span!.attributes).toMatchObject({
        'messaging.system': 'errand',
        'messaging.message.id': id,
        'errand.task.attempt': 1,
      });
      expect(parentOf(spanNamed('db.query')[0]!)).toBe(span!.spanContext().spanId);
      expect(innerParent).toBeDefined();
      expect((await manager.get(id))!.headers.traceparent).toBe(formatTraceparent(request.spanContext()));
    });
  }

  it('records the exception and an error status, one span per attempt', async () => {
    const manager = make();
    manager.define(
      'flaky',
      async () => {
        throw new TypeError('upstream 503');
      },
      { retries: 1, retryDelay: 1 },
    );
    await manager.start();
    const { request } = await enqueueInRequest(manager, 'flaky');
    await waitForIdle(manager, 5000);
    const spans = spanNamed('flaky');
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(parentOf(span)).toBe(request.spanContext().spanId);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'upstream 503' });
      expect(span.events.find((event) => event.name === 'exception')?.attributes).toMatchObject({
        'exception.type': 'TypeError',
        'exception.message': 'upstream 503',
      });
    }
    expect(spans.map((span) => span.attributes['errand.task.attempt']).sort()).toEqual([1, 2]);
  });

  it('ends the span at a timeout even when the task ignores its signal', async () => {
    const manager = make();
    manager.define('stuck', () => new Promise(() => {}), { timeout: 50 });
    await manager.start();
    await manager.enqueue('stuck', []);
    await waitFor(() => spanNamed('stuck').length === 1, 2000, 'the timed-out span');
    expect(spanNamed('stuck')[0]!.status).toMatchObject({
      code: SpanStatusCode.ERROR,
      message: expect.stringMatching(/timed out/),
    });
  });

  it('links the span to its enqueuer across instances (through the store)', async () => {
    const store = new MemoryBackend();
    const producer = make({ backend: store, runTasks: false, instanceId: 'web' });
    producer.define('render', async () => 'pdf');
    const worker = make({
      backend: new MemoryBackend({ sharedWith: store }),
      instanceId: 'worker',
      pollInterval: 20,
    });
    worker.define('render', async () => 'pdf');
    await producer.start();
    await worker.start();
    const { id, request } = await enqueueInRequest(producer, 'render');
    await waitFor(async () => (await worker.get(id))?.status === 'success', 5000, 'the worker to run it');
    await waitFor(() => spanNamed('render').length === 1, 2000, 'the worker span');
    const [span] = spanNamed('render');
    expect(span!.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(parentOf(span!)).toBe(request.spanContext().spanId);
  });

  it('does nothing with tracing: false, nor for tasks enqueued outside any span', async () => {
    const off = make({ tracing: false });
    off.define('quiet', async () => 1);
    await off.start();
    const { id } = await enqueueInRequest(off, 'quiet');
    await off.result(id);
    expect(spanNamed('quiet')).toEqual([]);
    expect((await off.get(id))!.headers).toEqual({});

    const on = make();
    on.define('root', async () => 1);
    await on.start();
    const rootId = await on.enqueue('root', []);
    await on.result(rootId);
    await waitFor(() => spanNamed('root').length === 1, 2000, 'the root span');
    expect(spanNamed('root')[0]!.parentSpanContext).toBeUndefined();
    expect((await on.get(rootId))!.headers).toEqual({});
  });

  it('loads @opentelemetry/api only when it is installed', async () => {
    expect(
      await loadOtel(() => Promise.reject(new Error("Cannot find package '@opentelemetry/api'"))),
    ).toBeNull();
    expect((await loadOtel())?.trace).toBe(trace);
  });
});

describe('traceparent', () => {
  it('round-trips and refuses invalid headers', () => {
    const parent = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    expect(parseTraceparent(formatTraceparent(parent))).toEqual(parent);
    for (const bad of [
      undefined,
      '',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    ]) {
      expect(parseTraceparent(bad)).toBeNull();
    }
    expect(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future')).not.toBeNull();
  });
});
