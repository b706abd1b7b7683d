import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeThrown } from '../engine/thrown-value.js';
// Through the package entry, so the built subpath shares core's error classes (instanceof holds).
import { InvalidOptionError } from '../index.js';
import { accessCheck, type MetricsAuthorize } from './access.js';
import { type MetricFamily, renderExposition } from './exposition.js';
import { Counter } from './instruments.js';
import { type GaugeSource, storeGauges } from './store-gauges.js';
import { DEFAULT_BUCKETS, type EventSource, TaskMetrics } from './task-metrics.js';

export type { MetricsAuthorize } from './access.js';
export {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  type MetricFamily,
  renderExposition,
  type Sample,
} from './exposition.js';

/** The manager the metrics read: a `TaskManager` (any of its type parameters). */
export type MetricsManager = EventSource & GaugeSource;

/** A scheduler whose missed ticks are counted (`@errand/scheduler`'s `Scheduler`). */
export interface MissedTickSource {
  on(event: 'missed', listener: (info: { jobId: string; ticks: number }) => void): unknown;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Opens the endpoint to requests with `Authorization: Bearer <token>`. */
  token?: string;
  /** Opens the endpoint to requests this function accepts. */
  authorize?: MetricsAuthorize;
  /** Counts `errand_schedule_missed_total` from this scheduler's missed ticks. */
  scheduler?: MissedTickSource;
  /** Histogram buckets of durations and waits, in seconds. Default 5 ms to 10 min. */
  buckets?: readonly number[];
  /** The store is read at most once per this many ms; scrapes in between get the same gauges. Default 5000. */
  cacheMs?: number;
}

/** A manager's Prometheus metrics: the text, and handlers that serve it. */
export interface ErrandMetrics {
  /** The metrics in the text exposition format (reads the store, within `cacheMs`). */
  render(): Promise<string>;
  /** A Fetch handler (`Request` -> `Response`): Hono, Next.js, Bun, `@whatwg-node`... */
  fetch(request: Request): Promise<Response>;
  /** A `node:http` / Express handler: `app.get('/metrics', metrics.node)`. */
  node(req: IncomingMessage, res: ServerResponse): void;
}

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  return new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`), {
    method: req.method,
    headers,
  });
}

/**
 * Prometheus metrics of one manager, closed unless `token` or `authorize`
 * opens them:
 *
 * ```ts
 * import { createMetrics } from '@errand/core/metrics';
 * const metrics = createMetrics(manager, { token: process.env.METRICS_TOKEN, scheduler });
 * app.get('/metrics', metrics.node);          // Express, node:http
 * hono.get('/metrics', (c) => metrics.fetch(c.req.raw));
 * ```
 *
 * Counters and histograms (`errand_tasks_total`, `errand_task_duration_seconds`,
 * `errand_task_wait_seconds`, `errand_schedule_missed_total`) count this
 * instance since it started: sum them across instances. The gauges read
 * from the store (`errand_queue_pending`, `errand_queue_oldest_pending_age_seconds`,
 * `errand_instances`, `errand_schedule_next_run_timestamp_seconds`) are the
 * fleet's: take their max. `errand_store_up` is 0 when the store could
 * not be read for this scrape (the gauges are then left out).
 */
export function createMetrics(manager: MetricsManager, options: MetricsOptions = {}): ErrandMetrics {
  const buckets = options.buckets ?? DEFAULT_BUCKETS;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some((b) => typeof b !== 'number' || !Number.isFinite(b))
  ) {
    throw new InvalidOptionError('metrics: buckets must be a non-empty array of finite numbers');
  }
  const cacheMs = options.cacheMs ?? 5000;
  if (!Number.isInteger(cacheMs) || cacheMs < 0)
    throw new InvalidOptionError('metrics: cacheMs must be >= 0');
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length < 16)) {
    throw new InvalidOptionError('metrics: token must be a string of at least 16 characters');
  }
  const tasks = new TaskMetrics(manager, buckets);
  const missed = new Counter(['job']);
  options.scheduler?.on('missed', ({ jobId, ticks }) => missed.inc([jobId], ticks));
  const logger = manager.logger;
  const access = accessCheck(options.token, options.authorize, (error) =>
    logger.error('metrics: authorize threw; access refused', { error: describeThrown(error).message }),
  );
  let cached: { at: number; families: Promise<MetricFamily[] | null> } | null = null;

  const gauges = (): Promise<MetricFamily[] | null> => {
    const now = Date.now();
    if (cached && now - cached.at < cacheMs) return cached.families;
    const families = storeGauges(manager, tasks.queues, now).catch((error: unknown) => {
      logger.warn('metrics: the store could not be read', { error: describeThrown(error).message });
      return null;
    });
    cached = { at: now, families };
    return families;
  };

  const render = async (): Promise<string> => {
    const store = await gauges();
    const missedFamily: MetricFamily = {
      name: 'errand_schedule_missed_total',
      help: 'Scheduled ticks this instance recorded as missed (later than misfireGraceTime, or coalesced), by job.',
      type: 'counter',
      samples: missed.samples(),
    };
    const up: MetricFamily = {
      name: 'errand_store_up',
      help: 'Whether the store answered for this scrape (1) or not (0).',
      type: 'gauge',
      samples: [{ labels: {}, value: store ? 1 : 0 }],
    };
    return renderExposition([...tasks.families(), missedFamily, ...(store ?? []), up]);
  };

  const fetch = async (request: Request): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('use GET\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const verdict = await access(request);
    if (!verdict.allowed) {
      const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
      if (verdict.challenge) headers['www-authenticate'] = verdict.challenge;
      return new Response(`${verdict.message}\n`, { status: verdict.status, headers });
    }
    const body = await render();
    return new Response(request.method === 'HEAD' ? null : body, {
      headers: { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' },
    });
  };

  const node = (req: IncomingMessage, res: ServerResponse): void => {
    fetch(toRequest(req))
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch((error: unknown) => {
        logger.error('metrics: the handler failed', { error: describeThrown(error).message });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  };

  return { render, fetch, node };
}
