import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import * as core from '@errand/core';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';

export type Client = Redis | Cluster;
/** What the backend's own connection is made from: a URL and ioredis options, or ioredis options. */
export type ConnectionSettings = RedisOptions & { url?: string; redis?: RedisOptions };

/**
 * The connection of a backend: the application's client, used as configured, or the backend's own,
 * bounded by `operationTimeout` (connect and command timeouts, one retry, no offline queue, dropped
 * when a call times out on it) and closed by it.
 */
export class Connection {
  readonly client: Client;
  /** The backend made this connection (and closes it). */
  readonly own: boolean;
  readonly #own: Redis | null;
  readonly #timeout: number;
  #lastError: unknown = null;

  constructor(given: Client | undefined, settings: ConnectionSettings, timeout: number) {
    this.#timeout = timeout;
    this.#own = given ? null : this.#create(settings);
    this.client = given ?? this.#own!;
    this.own = !given;
  }

  /** Connects a lazy client, and the backend's own one again after `close()`. */
  async connect(): Promise<void> {
    const { client } = this;
    if (client.status !== 'wait' && (client !== this.#own || client.status !== 'end')) return;
    this.#lastError = null;
    await client.connect().catch((error: unknown) => Promise.reject(this.#lastError ?? error));
    // ioredis ignores a failed SELECT on connect; a wrong db must fail here.
    if (client === this.#own && client.options.db) await client.select(client.options.db);
  }

  /** Runs `work` once the connection is ready, never from ioredis's offline queue. */
  async send<T>(work: (client: Client) => Promise<T>, deadline: number): Promise<T> {
    const own = this.#own;
    if (own && (own.status !== 'ready' || own.stream.destroyed)) {
      // The offline queue would still send a call given up on once connected.
      if (own.status === 'end') own.connect().catch(() => {});
      const signal = AbortSignal.timeout(Math.max(0, Math.ceil(deadline - performance.now())));
      await once(own, 'ready', { signal });
    }
    return work(this.client);
  }

  /** After a call timed out: the socket may be black-holed; drops it, rejecting (never resending) the rest. */
  drop(reconnect: () => boolean): void {
    const own = this.#own;
    if (own?.status !== 'ready') return;
    own.once('end', () => reconnect() && own.connect().catch(() => {}));
    own.disconnect();
    own.stream.destroy();
  }

  /** Quits its own connection, or drops it when no answer comes within operationTimeout; a given one stays. */
  async close(): Promise<void> {
    const own = this.#own;
    if (own?.status === 'ready') {
      const ended = once(own, 'end').catch(() => {});
      own.quit().catch(() => {});
      await Promise.race([ended, delay(this.#timeout, null, { ref: false })]);
    }
    if (own?.status !== 'end' && own?.status !== 'wait') own?.disconnect();
    own?.stream?.destroy();
  }

  #create({ url, redis, ...rest }: ConnectionSettings): Redis {
    const ms = this.#timeout;
    const own = { connectionName: 'errand', ...(url === undefined ? rest : redis), lazyConnect: true };
    const options: RedisOptions = { connectTimeout: ms, commandTimeout: ms, maxRetriesPerRequest: 1, ...own };
    let client: Redis;
    try {
      client = url === undefined ? new Redis(options) : new Redis(url, options);
    } catch {
      // The parser's own error holds the whole URL, password included.
      throw new core.InvalidOptionError('RedisBackend: url is not a valid redis:// or rediss:// URL');
    }
    // ioredis reports why a connect failed only as an event.
    return client.on('error', (error: Error) => {
      this.#lastError = error;
    });
  }
}
