import {
  type BackendContext,
  BackendError,
  type ClaimRequest,
  emptyCounts,
  type InstanceInfo,
  InvalidOptionError,
  type Logger,
  type NormalizedTaskQuery,
  SchemaVersionError,
  type SnapshotBackend,
  type StatusCounts,
  type TaskRecord,
  type TaskStatus,
  type WriteResult,
} from '@errand/core';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_PREFIX, keyBase, metaKey } from './keys.js';
import { recordArgs, recordFromHash } from './row.js';
import { RedisScheduleStore } from './schedule-store.js';
import { SCHEMA_VERSION } from './schema.js';
import { historyArgs } from './scripts/history-walk.js';
import { defineScripts, queueScript, runScript, type ScriptName } from './scripts/index.js';

export type { RedisScheduleStore } from './schedule-store.js';

/** Options every form of {@link RedisBackend}'s constructor accepts. */
export interface RedisBackendBaseOptions {
  /**
   * Key prefix, so several applications can share one Redis. Default
   * `'errand:'`. It becomes a Redis Cluster hash tag: `errand:` gives keys
   * `{errand}:task:<id>`, `{errand}:idx:all`... A prefix that already holds a
   * `{tag}` is used as it is.
   */
  prefix?: string;
  /**
   * Keep finished records this many ms after their `finishedAt`, then
   * delete them with their index entries. Default: keep forever.
   */
  retention?: number;
}

/** Connect with a URL such as `redis://:password@host:6379/0` (or `rediss://` for TLS). */
export interface RedisBackendUrlOptions extends RedisBackendBaseOptions {
  url: string;
  /** Extra ioredis options for the connection the backend creates. */
  redis?: RedisOptions;
}

/**
 * Use a connection the application owns: an ioredis `Redis` or `Cluster`.
 * The backend never closes it.
 */
export interface RedisBackendClientOptions extends RedisBackendBaseOptions {
  client: Redis | Cluster;
}

/** Connect with ioredis options (`host`, `port`, `password`, `db`, `tls`...). */
export interface RedisBackendConnectionOptions extends RedisBackendBaseOptions, RedisOptions {}

/** What `new RedisBackend(...)` accepts besides a URL string. */
export type RedisBackendOptions =
  | RedisBackendUrlOptions
  | RedisBackendClientOptions
  | RedisBackendConnectionOptions;

/** Records per write script call; a larger batch is split into several calls inside one MULTI. */
const MAX_CHUNK_RECORDS = 2000;
/** Bytes of ARGV per write script call, for batches of large records. */
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Defaults of a connection the backend creates: nothing happens before
 * `open()`, a failed connect at `open()` rejects instead of retrying
 * forever, and once open a command waits for at most two reconnection
 * attempts before it fails (the manager retries its flushes with backoff),
 * while the connection itself keeps reconnecting.
 */
const CLIENT_DEFAULTS: RedisOptions = {
  connectTimeout: 10_000,
  maxRetriesPerRequest: 2,
  connectionName: 'errand',
};

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Errand's Redis backend (ioredis): shared history, atomic claims, leases
 * and takeover for several instances, optional retention.
 *
 * Every multi-key change (a write batch, a claim, a heartbeat) is one Lua
 * script, so it is atomic; every call is one round trip. All keys of one
 * prefix share one hash tag, so it works on Redis Cluster too.
 *
 * ```ts
 * new RedisBackend('redis://127.0.0.1:6379/0');
 * new RedisBackend('redis://cache:6379/2', { prefix: 'billing:', retention: 7 * 86_400_000 });
 * new RedisBackend({ host: 'cache', port: 6379, password: secret });
 * new RedisBackend({ client: app.redis }); // never closed by the backend
 * ```
 */
export class RedisBackend implements SnapshotBackend {
  readonly name = 'redis';
  /**
   * Job storage for `@errand/scheduler`: jobs, their due index and the
   * atomic tick claim (see the README, "Scheduler storage"). Its calls fail
   * with a `BackendError` until `open()`.
   */
  readonly schedules: RedisScheduleStore;
  readonly #base: string;
  readonly #meta: string;
  readonly #retention: number;
  readonly #given: Redis | Cluster | null;
  readonly #url: string | null;
  readonly #clientOptions: RedisOptions;
  #client: Redis | Cluster | null = null;
  #logger: Logger = silentLogger;
  #opened = false;
  #connectionLost = false;

  /**
   * @param connection A URL (`redis://...`), ioredis options, or `{ client }`.
   * @param options `prefix` and `retention`, when `connection` is a URL
   *   string (they may also be given inside `connection`).
   */
  constructor(connection: string | RedisBackendOptions = {}, options: RedisBackendBaseOptions = {}) {
    const settings: RedisBackendOptions = typeof connection === 'string' ? { url: connection } : connection;
    this.#base = keyBase(options.prefix ?? settings.prefix ?? DEFAULT_PREFIX);
    this.#meta = metaKey(this.#base);
    const retention = options.retention ?? settings.retention ?? 0;
    if (typeof retention !== 'number' || !Number.isFinite(retention) || retention < 0) {
      throw new InvalidOptionError('RedisBackend: retention must be a non-negative number of milliseconds');
    }
    this.#retention = Math.round(retention);
    this.schedules = new RedisScheduleStore((name, args) => this.#run(name, args), this.#retention);
    if ('client' in settings && settings.client) {
      this.#given = settings.client;
      this.#url = null;
      this.#clientOptions = {};
    } else if ('url' in settings && typeof settings.url === 'string') {
      this.#given = null;
      this.#url = settings.url;
      this.#clientOptions = { ...(settings as RedisBackendUrlOptions).redis };
    } else {
      const { prefix: _prefix, retention: _retention, ...redis } = settings as RedisBackendConnectionOptions;
      this.#given = null;
      this.#url = null;
      this.#clientOptions = redis;
    }
  }

  /** The connection in use: the application's own, or the one `open()` created (null before `open()` and after `close()`). */
  get client(): Redis | Cluster | null {
    return this.#given ?? this.#client;
  }

  async open(context: BackendContext): Promise<void> {
    if (this.#opened) return;
    this.#logger = context.logger;
    const client = this.#given ?? (await this.#connect());
    try {
      if (this.#given && client.status === 'wait') await client.connect();
      defineScripts(client);
      const stored = Number(await runScript(client, 'open', this.#meta, [String(SCHEMA_VERSION)]));
      if (!Number.isInteger(stored) || stored < 1) {
        throw new SchemaVersionError(`redis backend: ${this.#meta} holds no readable schema version`);
      }
      if (stored > SCHEMA_VERSION) {
        throw new SchemaVersionError(
          `redis backend: the store at ${this.#meta} has schema version ${stored}, newer than ${SCHEMA_VERSION} ` +
            'of this @errand/backend-redis: upgrade the package',
        );
      }
      this.#opened = true;
    } catch (error) {
      if (!this.#given) this.#drop();
      if (error instanceof SchemaVersionError || error instanceof BackendError) throw error;
      throw new BackendError('redis', 'open', error);
    }
  }

  async close(): Promise<void> {
    this.#opened = false;
    const client = this.#client;
    if (!client) return;
    this.#client = null;
    if (client.status === 'ready') {
      try {
        await client.quit();
        return;
      } catch {
        // Fall through: the connection is going away either way.
      }
    }
    client.disconnect();
  }

  async write(records: readonly TaskRecord[]): Promise<WriteResult> {
    if (records.length === 0) return { conflicts: [] };
    const retention = String(this.#retention);
    const chunks: string[][] = [];
    let args = [retention];
    let count = 0;
    let bytes = 0;
    for (const record of records) {
      if (count >= MAX_CHUNK_RECORDS || bytes >= MAX_CHUNK_BYTES) {
        chunks.push(args);
        args = [retention];
        count = 0;
        bytes = 0;
      }
      const start = args.length;
      recordArgs(record, args);
      for (let i = start; i < args.length; i++) bytes += args[i]!.length;
      count++;
    }
    chunks.push(args);

    const client = this.#open('write');
    let replies: unknown[];
    try {
      if (chunks.length === 1) {
        replies = [await runScript(client, 'write', this.#meta, chunks[0]!)];
      } else {
        // One MULTI keeps the batch all-or-nothing while each script call
        // stays a bounded size.
        const multi = client.multi();
        for (const chunk of chunks) queueScript(multi, 'write', this.#meta, chunk);
        const results = (await multi.exec()) ?? [];
        replies = results.map(([error, reply]) => {
          if (error) throw error;
          return reply;
        });
      }
    } catch (error) {
      throw new BackendError('redis', 'write', error);
    }
    const conflicts: WriteResult['conflicts'] = [];
    for (const reply of replies) {
      const flat = reply as string[];
      for (let i = 0; i < flat.length; i += 2) conflicts.push({ id: flat[i]!, existingId: flat[i + 1]! });
    }
    return { conflicts };
  }

  async get(id: string): Promise<TaskRecord | null> {
    return recordFromHash(id, (await this.#run('get', [id])) as string[]);
  }

  async query(query: NormalizedTaskQuery): Promise<TaskRecord[]> {
    if (query.statuses?.length === 0 || query.names?.length === 0) return [];
    return recordPairs(await this.#run('query', historyArgs(query, true)));
  }

  async counts(query: NormalizedTaskQuery): Promise<StatusCounts> {
    const counts = emptyCounts();
    if (query.statuses?.length === 0 || query.names?.length === 0) return counts;
    const flat = (await this.#run('counts', historyArgs(query, false))) as Array<string | number>;
    for (let i = 0; i < flat.length; i += 2) counts[flat[i] as TaskStatus] = Number(flat[i + 1]);
    return counts;
  }

  async heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>): Promise<void> {
    await this.#run('heartbeat', [instanceId, String(Math.round(ttlMs)), JSON.stringify(meta)]);
  }

  async removeInstance(instanceId: string): Promise<void> {
    await this.#run('removeInstance', [instanceId]);
  }

  async instances(): Promise<InstanceInfo[]> {
    const flat = (await this.#run('instances', [])) as string[];
    const list: InstanceInfo[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      list.push({
        id: flat[i]!,
        expiresAt: Number(flat[i + 1]),
        startedAt: Number(flat[i + 2]),
        meta: JSON.parse(flat[i + 3]!) as Record<string, unknown>,
      });
    }
    return list;
  }

  async claim(request: ClaimRequest): Promise<TaskRecord[]> {
    if (request.names.length === 0 || request.limit < 1) return [];
    const args = [request.instanceId, String(Math.floor(request.limit)), String(this.#retention)];
    args.push(...new Set(request.names));
    return recordPairs(await this.#run('claim', args));
  }

  async now(): Promise<number> {
    return Number(await this.#run('now', []));
  }

  async #connect(): Promise<Redis> {
    const options: RedisOptions = { ...CLIENT_DEFAULTS, ...this.#clientOptions, lazyConnect: true };
    const client = this.#url ? new Redis(this.#url, options) : new Redis(options);
    this.#client = client;
    // ioredis reports a failed connect as "Connection is closed."; the
    // 'error' event carries the reason (ECONNREFUSED, WRONGPASS...).
    let reason: unknown;
    const remember = (error: unknown) => {
      reason = error;
    };
    client.on('error', remember);
    try {
      await client.connect();
      // ioredis ignores a failed SELECT on connect; a wrong db must fail here.
      if (client.options.db) await client.select(client.options.db);
    } catch (error) {
      this.#drop();
      throw new BackendError('redis', 'open', reason ?? error);
    } finally {
      client.off('error', remember);
    }
    client.on('error', (error: Error) => {
      if (this.#connectionLost) return;
      this.#connectionLost = true;
      this.#logger.warn('redis backend: connection lost, reconnecting', { error: error.message });
    });
    client.on('ready', () => {
      if (!this.#connectionLost) return;
      this.#connectionLost = false;
      this.#logger.info('redis backend: reconnected');
    });
    return client;
  }

  #drop(): void {
    this.#client?.disconnect();
    this.#client = null;
  }

  #open(operation: string): Redis | Cluster {
    const client = this.#given ?? this.#client;
    if (!this.#opened || !client)
      throw new BackendError('redis', operation, new Error('the backend is not open'));
    return client;
  }

  async #run(name: ScriptName, args: readonly string[]): Promise<unknown> {
    const client = this.#open(name);
    try {
      return await runScript(client, name, this.#meta, args);
    } catch (error) {
      throw new BackendError('redis', name, error);
    }
  }
}

/** Turns a script's `[id, HGETALL array, ...]` reply into records. */
function recordPairs(reply: unknown): TaskRecord[] {
  const flat = reply as Array<string | string[]>;
  const records: TaskRecord[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const record = recordFromHash(flat[i] as string, flat[i + 1] as string[]);
    if (record) records.push(record);
  }
  return records;
}
