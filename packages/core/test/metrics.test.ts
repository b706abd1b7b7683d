import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import parse from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, MemoryBackend, type NormalizedTaskQuery, TaskManager } from '../src/index.js';
import {
  createMetrics,
  escapeLabelValue,
  type MissedTickSource,
  renderExposition,
} from '../src/metrics/index.js';
import { makeRecord, waitForIdle } from '../src/testing/index.js';

const managers: TaskManager[] = [];
const TOKEN = 'a-long-enough-secret-token';
const WEIRD = 'we"ird\\name\nwith a line break';

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
});

async function started(backend?: MemoryBackend) {
  // Gauges cover the queues a manager declares or has seen: `bulk` and `other` only exist in the store.
  const queues = { mail: { concurrency: 1 }, bulk: {}, other: {} };
  const manager = new TaskManager({ logger: false, backend, queues });
  managers.push(manager);
  return manager;
}

interface Series {
  labels: Record<string, string>;
  buckets: Record<string, number>;
  sum: number;
  count: number;
}

/**
 * The histogram series of `name`. parse-prometheus-text-format folds every
 * label set of a histogram into one, so each sample line is parsed on its
 * own (by the same parser) and grouped here by its labels without `le`.
 */
function histogram(text: string, name: string): Series[] {
  const series = new Map<string, Series>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_`)) continue;
    const [sample] = parse(`${line}\n`);
    const { le, ...labels } = sample!.metrics[0]!.labels ?? {};
    const key = JSON.stringify(labels);
    const entry = series.get(key) ?? { labels, buckets: {}, sum: Number.NaN, count: Number.NaN };
    series.set(key, entry);
    const value = Number(sample!.metrics[0]!.value);
    if (sample!.name === `${name}_bucket`) entry.buckets[le!] = value;
    else if (sample!.name === `${name}_sum`) entry.sum = value;
    else if (sample!.name === `${name}_count`) entry.count = value;
  }
  return [...series.values()];
}

async function scrape(metrics: ReturnType<typeof createMetrics>) {
  const response = await metrics.fetch(
    new Request('http://x/metrics', { headers: { authorization: `Bearer ${TOKEN}` } }),
  );
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const text = await response.text();
  const families = parse(text);
  const family = (name: string) => families.find((f) => f.name === name);
  return Object.assign(family, { histogram: (name: string) => histogram(text, name) });
}

const value = (family: ReturnType<Awaited<ReturnType<typeof scrape>>>, labels: Record<string, string>) =>
  Number(family?.metrics.find((m) => JSON.stringify(m.labels ?? {}) === JSON.stringify(labels))?.value);

for (const [label, backend] of [
  ['in memory', () => undefined],
  ['with a MemoryBackend', () => new MemoryBackend()],
] as const) {
  describe(`@errand/core/metrics ${label}`, () => {
    it('counts tasks, attempt durations and waits, read back by a Prometheus parser', async () => {
      const manager = await started(backend());
      const metrics = createMetrics(manager, { token: TOKEN, cacheMs: 0 });
      manager.define(
        'send',
        async (_ctx, ok: boolean) => {
          if (!ok) throw new Error('smtp');
        },
        { queue: 'mail', retries: 1, retryDelay: 1 },
      );
      manager.define(WEIRD, async () => 'fine');
      await manager.start();
      for (const ok of [true, true, false]) await manager.enqueue('send', [ok]);
      await manager.enqueue(WEIRD, []);
      await waitForIdle(manager, 5000);
      const family = await scrape(metrics);

      expect(family('errand_tasks_total')!.type).toBe('COUNTER');
      expect(value(family('errand_tasks_total'), { queue: 'mail', name: 'send', status: 'success' })).toBe(2);
      expect(value(family('errand_tasks_total'), { queue: 'mail', name: 'send', status: 'failed' })).toBe(1);
      // A name with a quote, a backslash and a line break comes back intact.
      expect(value(family('errand_tasks_total'), { queue: 'default', name: WEIRD, status: 'success' })).toBe(
        1,
      );

      expect(family('errand_task_duration_seconds')!.type).toBe('HISTOGRAM');
      const durations = family.histogram('errand_task_duration_seconds');
      const send = durations.find((series) => series.labels.name === 'send')!;
      expect(send.labels).toEqual({ queue: 'mail', name: 'send' });
      expect(send.count).toBe(4); // 2 successes, 1 failed attempt retried, 1 final failure
      expect(send.buckets['+Inf']).toBe(4);
      const cumulative = Object.entries(send.buckets)
        .sort(([a], [b]) => Number(a.replace('+Inf', 'Infinity')) - Number(b.replace('+Inf', 'Infinity')))
        .map(([, count]) => count);
      expect(cumulative).toEqual([...cumulative].sort((a, b) => a - b));
      expect(Object.keys(send.buckets)).toHaveLength(17);
      expect(send.sum).toBeGreaterThanOrEqual(0);
      expect(durations.find((series) => series.labels.name === WEIRD)!.count).toBe(1);
      const wait = family
        .histogram('errand_task_wait_seconds')
        .find((series) => series.labels.name === 'send')!;
      expect(wait.count).toBe(4);

      expect(value(family('errand_queue_pending'), { queue: 'mail' })).toBe(0);
      expect(value(family('errand_instances'), { state: 'live' })).toBe(1);
      expect(value(family('errand_store_up'), {})).toBe(1);
    });

    it('reports pending tasks per queue and the age of the oldest', async () => {
      const manager = await started(backend());
      const metrics = createMetrics(manager, { token: TOKEN, cacheMs: 0 });
      manager.define('send', async () => {}, { queue: 'mail' });
      await manager.start();
      const before = Date.now();
      for (let i = 0; i < 3; i++) await manager.enqueue('send', [], { delay: 60_000 });
      const family = await scrape(metrics);
      expect(value(family('errand_queue_pending'), { queue: 'mail' })).toBe(3);
      expect(value(family('errand_queue_pending'), { queue: 'default' })).toBe(0);
      const age = value(family('errand_queue_oldest_pending_age_seconds'), { queue: 'mail' });
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThanOrEqual((Date.now() - before) / 1000 + 0.001);
    });
  });
}

describe('@errand/core/metrics with a store', () => {
  it('finds the oldest pending age of a backlog deeper than a page without walking it', async () => {
    const store = new MemoryBackend();
    const now = Date.now();
    const hour = 3_600_000;
    // 1500 waiting tasks of a task this instance does not define (nobody claims them), spread over an hour.
    const records = Array.from({ length: 1500 }, (_, i) =>
      makeRecord({
        name: 'elsewhere',
        queue: 'bulk',
        createdAt: now - hour + i * 2000,
        runAt: now + hour,
        owner: null,
      }),
    );
    records.push(
      makeRecord({
        name: 'elsewhere',
        queue: 'other',
        createdAt: now - 3 * hour,
        runAt: now + hour,
        owner: null,
      }),
    );
    await store.write(records);
    const queries: NormalizedTaskQuery[] = [];
    const counting = new (class extends MemoryBackend {
      override counts(query: NormalizedTaskQuery) {
        queries.push(query);
        return super.counts(query);
      }
    })({ sharedWith: store });
    const manager = await started(counting);
    const metrics = createMetrics(manager, { token: TOKEN, cacheMs: 0 });
    await manager.start();
    const family = await scrape(metrics);
    expect(value(family('errand_queue_pending'), { queue: 'bulk' })).toBe(1500);
    const age = value(family('errand_queue_oldest_pending_age_seconds'), { queue: 'bulk' });
    expect(Math.abs(age - hour / 1000)).toBeLessThan(2);
    expect(
      Math.abs(value(family('errand_queue_oldest_pending_age_seconds'), { queue: 'other' }) - 3 * 3600),
    ).toBeLessThan(2);
    expect(queries.length).toBeLessThan(40);
  });

  it('exports each job next run and counts missed ticks from the scheduler', async () => {
    const store = new MemoryBackend();
    await store.schedules.register({
      id: 'nightly-backup',
      taskName: 'backup',
      trigger: { kind: 'cron', expression: '0 2 * * *', timezone: 'UTC' },
      definitionHash: 'h',
      options: {},
      nextRunAt: 1_900_000_000_000,
      lastRunAt: null,
      lastOutcome: null,
      paused: false,
      orphaned: false,
      activeRuns: [],
      updatedAt: 0,
    });
    const listeners: Array<(info: { jobId: string; ticks: number }) => void> = [];
    const scheduler: MissedTickSource = { on: (_event, listener) => listeners.push(listener) };
    const manager = await started(store);
    const metrics = createMetrics(manager, { token: TOKEN, scheduler });
    await manager.start();
    for (const listener of listeners) listener({ jobId: 'nightly-backup', ticks: 3 });
    for (const listener of listeners) listener({ jobId: 'nightly-backup', ticks: 1 });
    const family = await scrape(metrics);
    expect(value(family('errand_schedule_next_run_timestamp_seconds'), { job: 'nightly-backup' })).toBe(
      1_900_000_000,
    );
    expect(family('errand_schedule_missed_total')!.type).toBe('COUNTER');
    expect(value(family('errand_schedule_missed_total'), { job: 'nightly-backup' })).toBe(4);
  });

  it('says errand_store_up 0 and leaves the store gauges out when the store fails', async () => {
    const store = new MemoryBackend();
    let down = false;
    const flaky = new (class extends MemoryBackend {
      override counts(query: NormalizedTaskQuery) {
        return down ? Promise.reject(new Error('connection refused')) : super.counts(query);
      }
    })({ sharedWith: store });
    const manager = await started(flaky);
    const metrics = createMetrics(manager, { token: TOKEN, cacheMs: 0 });
    await manager.start();
    down = true;
    const family = await scrape(metrics);
    expect(value(family('errand_store_up'), {})).toBe(0);
    expect(family('errand_queue_pending')).toBeUndefined();
    expect(family('errand_tasks_total')).toBeDefined();
  });
});

describe('@errand/core/metrics access', () => {
  it('is closed without a token or authorize, and checks both', async () => {
    const manager = await started();
    const get = (
      metrics: ReturnType<typeof createMetrics>,
      headers: Record<string, string> = {},
      method = 'GET',
    ) => metrics.fetch(new Request('http://x/metrics', { headers, method }));
    expect((await get(createMetrics(manager))).status).toBe(403);
    const withToken = createMetrics(manager, { token: TOKEN });
    const refused = await get(withToken);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await get(withToken, { authorization: 'Bearer wrong-token-of-any-length' })).status).toBe(401);
    expect((await get(withToken, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await get(withToken, { authorization: `Bearer ${TOKEN}` }, 'POST')).status).toBe(405);
    const head = await get(withToken, { authorization: `Bearer ${TOKEN}` }, 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const byHeader = createMetrics(manager, {
      authorize: (request) => request.headers.get('x-internal') === '1',
    });
    expect((await get(byHeader)).status).toBe(403);
    expect((await get(byHeader, { 'x-internal': '1' })).status).toBe(200);
    const throwing = createMetrics(manager, {
      authorize: () => {
        throw new Error('session store down');
      },
    });
    expect((await get(throwing)).status).toBe(403);
    expect(() => createMetrics(manager, { token: 'short' })).toThrow(InvalidOptionError);
  });

  it('serves node:http through metrics.node', async () => {
    const manager = await started();
    manager.define('t', async () => {});
    await manager.start();
    const metrics = createMetrics(manager, { token: TOKEN });
    await manager.result(await manager.enqueue('t', []));
    const server = createServer(metrics.node);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      const families = parse(await response.text());
      expect(families.find((f) => f.name === 'errand_tasks_total')!.metrics[0]!.labels).toEqual({
        queue: 'default',
        name: 't',
        status: 'success',
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the text format', () => {
  it('escapes label values and help, and spells special values as the format does', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = renderExposition([
      {
        name: 'x_total',
        help: 'help with \\ and\nnewline',
        type: 'gauge',
        samples: [
          { labels: { v: 'a"b\\c\nd' }, value: Number.POSITIVE_INFINITY },
          { labels: { v: 'n' }, value: Number.NaN },
          { labels: { v: 'm' }, value: -0.5e-7 },
        ],
      },
    ]);
    expect(text).toBe(
      '# HELP x_total help with \\\\ and\\nnewline\n# TYPE x_total gauge\nx_total{v="a\\"b\\\\c\\nd"} +Inf\nx_total{v="n"} NaN\nx_total{v="m"} -5e-8\n',
    );
    const [family] = parse(text);
    expect(family!.help).toBe('help with \\ and\nnewline');
    expect(family!.metrics[0]!.labels).toEqual({ v: 'a"b\\c\nd' });
    expect(() => renderExposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow();
    expect(() =>
      renderExposition([
        { name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] },
      ]),
    ).toThrow();
  });
});
