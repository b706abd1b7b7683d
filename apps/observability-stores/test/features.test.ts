import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterResponse, memoryObserver, TaskManager, type TaskManagerOptions } from '@errand/core';
import { createMetrics } from '@errand/core/metrics';
import { waitFor, waitForIdle } from '@errand/core/testing';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import parse from 'parse-prometheus-text-format';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postgresTarget, type StoreUnderTest, sqlite } from './stores.js';

const exporter = new InMemorySpanExporter();
const tracer = trace.getTracer('test');
const opened: StoreUnderTest[] = [];
const managers: TaskManager[] = [];
const primes = new URL('../../../packages/core/test/fixtures/threads/primes.mjs', import.meta.url);

beforeAll(() => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});

afterAll(() => {
  trace.disable();
  context.disable();
});

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
  await Promise.all(opened.splice(0).map((store) => store.teardown()));
  exporter.reset();
});

for (const target of [sqlite, postgresTarget]) {
  describe(`issue 22 features on ${target.name}`, () => {
    async function storeAndManager(options: TaskManagerOptions<Record<never, never>> = {}) {
      const store = await target.open();
      opened.push(store);
      const make = (more: TaskManagerOptions<Record<never, never>> = {}) => {
        const manager = new TaskManager({
          logger: false,
          backend: store.backend(),
          pollInterval: 50,
          ...options,
          ...more,
        });
        managers.push(manager);
        return manager;
      };
      return { store, make };
    }

    it('lists dead letters from the store and replays them after a restart, history kept', async () => {
      const { make } = await storeAndManager();
      const first = make({ instanceId: 'first' });
      first.define(
        'charge',
        async (ctx) => {
          ctx.log(`attempt ${ctx.attempt}`);
          throw new Error('declined');
        },
        { retries: 1, retryDelay: 1 },
      );
      await first.start();
      const ids = [await first.enqueue('charge', []), await first.enqueue('charge', [])];
      await waitForIdle(first, 5000);
      await first.stop();

      const second = make({ instanceId: 'second' });
      second.define('charge', async (ctx) => void ctx.log('paid'));
      await second.start();
      expect((await second.deadLetters()).records.map((r) => r.id).sort()).toEqual([...ids].sort());
      expect(await second.replay({ name: 'charge' }, { by: 'ops' })).toEqual({ replayed: 2, skipped: [] });
      await waitForIdle(second, 5000);
      await second.stop();

      const reader = make({ instanceId: 'reader' });
      await reader.start();
      const record = (await reader.get(ids[0]!))!;
      expect(record).toMatchObject({ status: 'success', tags: { replayedBy: 'ops' } });
      expect(record.logs.map((line) => line.message)).toEqual([
        'attempt 1',
        'attempt 1 of 2 ended: declined; runs again in 1 ms',
        'attempt 2',
        'retried manually after failed',
        'replayed from the dead letters by ops',
        'paid',
      ]);
      // The first run's attempt 1, read back from the store: where it ran and how it failed.
      expect(record.logs[1]!.fields).toMatchObject({ instance: 'first', error: 'declined' });
      expect((await reader.query({ tags: { replayedBy: 'ops' } })).records).toHaveLength(2);
      expect((await reader.deadLetters()).records).toEqual([]);
    });

    it('traces a task run by another instance as a child of the span that enqueued it', async () => {
      const { make } = await storeAndManager();
      const producer = make({ runTasks: false, instanceId: 'web' });
      producer.define('render', async () => 'pdf');
      const worker = make({ instanceId: 'worker' });
      worker.define('render', async () => 'pdf');
      await producer.start();
      await worker.start();
      const { id, parent } = await tracer.startActiveSpan('POST /reports', async (span) => {
        const id = await producer.enqueue('render', []);
        span.end();
        return { id, parent: span.spanContext() };
      });
      await waitFor(
        () => exporter.getFinishedSpans().some((s) => s.name === 'render'),
        10_000,
        'the worker span',
      );
      const span = exporter.getFinishedSpans().find((s) => s.name === 'render')!;
      expect(span.spanContext().traceId).toBe(parent.traceId);
      expect(span.parentSpanContext?.spanId).toBe(parent.spanId);
      expect(span.attributes['messaging.message.id']).toBe(id);
    });

    it('exports the store gauges and this instance counters to Prometheus', async () => {
      const { make } = await storeAndManager();
      const producer = make({ runTasks: false, instanceId: 'web', queues: { mail: {} } });
      producer.define('mail', async () => {}, { queue: 'mail' });
      const metrics = createMetrics(producer, { token: 'a-long-enough-secret-token', cacheMs: 0 });
      await producer.start();
      for (let i = 0; i < 3; i++) await producer.enqueue('mail', []);
      const text = await metrics.render();
      const family = (name: string) => parse(text).find((f) => f.name === name)!;
      const value = (name: string, labels: Record<string, string>) =>
        Number(family(name).metrics.find((m) => JSON.stringify(m.labels) === JSON.stringify(labels))!.value);
      expect(value('errand_queue_pending', { queue: 'mail' })).toBe(3);
      expect(value('errand_queue_oldest_pending_age_seconds', { queue: 'mail' })).toBeGreaterThanOrEqual(0);
      expect(value('errand_instances', { state: 'live' })).toBe(1);

      const worker = make({ instanceId: 'worker' });
      worker.define('mail', async () => {}, { queue: 'mail' });
      const workerMetrics = createMetrics(worker, { token: 'a-long-enough-secret-token', cacheMs: 0 });
      await worker.start();
      await waitFor(
        async () => (await worker.counts({ status: 'success' })).success === 3,
        10_000,
        'the worker',
      );
      const after = parse(await workerMetrics.render());
      const total = after.find((f) => f.name === 'errand_tasks_total')!.metrics[0]!;
      expect(total).toEqual({ value: '3', labels: { queue: 'mail', name: 'mail', status: 'success' } });
      expect(after.find((f) => f.name === 'errand_instances')!.metrics[0]).toEqual({
        value: '2',
        labels: { state: 'live' },
      });
    });

    it('runs a thread task whose live logs reach observers and the store', async () => {
      const recorder = memoryObserver();
      const { make } = await storeAndManager({ observers: [recorder], threads: { maxThreads: 2 } });
      const manager = make();
      manager.define('primes', primes, { thread: true });
      await manager.start();
      const id = await manager.enqueue('primes', [100_000, 2]);
      expect(await manager.result(id)).toMatchObject({ count: 9592 });
      await manager.stop();
      expect(recorder.events.filter((e) => e.type === 'log').map((e) => e.message)).toEqual([
        'step 1 of 2',
        'step 2 of 2',
      ]);
      const reader = make({ observers: [] });
      await reader.start();
      expect((await reader.get(id))!.logs.map((line) => line.message)).toEqual([
        'step 1 of 2',
        'step 2 of 2',
      ]);
    });

    it('stores a task enqueued after the response only once the response was sent', async () => {
      const { make } = await storeAndManager({ durability: 'durable' });
      const manager = make();
      manager.define('welcome', async () => {});
      await manager.start();
      let enqueued: Promise<boolean> | undefined;
      const server = createServer((req, res) => {
        enqueued = afterResponse(res, () => manager.enqueue('welcome', [], { idempotencyKey: req.url! }));
        res.writeHead(req.url === '/fail' ? 500 : 201).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        await fetch(`${base}/fail`);
        expect(await enqueued).toBe(false);
        await fetch(`${base}/ok`);
        expect(await enqueued).toBe(true);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      const stored = await manager.query({ name: 'welcome' });
      expect(stored.records.map((r) => r.idempotencyKey)).toEqual(['/ok']);
    });
  });
}
