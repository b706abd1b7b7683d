import * as core from '@errand/core';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { type Client, Connection, type ConnectionSettings } from './connection.js';
import * as row from './row.js';
import { redisScheduleStore } from './schedule-store.js';
import { runScript } from './scripts/index.js';
import { SentHashes, type WritePlan } from './sent-hashes.js';
import { subscribe } from './watch.js';

/** Options every form of {@link RedisBackend}'s constructor accepts. */
export interface RedisBackendBaseOptions {
  /** Key prefix, default `'errand:'`; it becomes a Cluster hash tag (`{errand}:`) unless it holds one. */
  prefix?: string;
  /**
   * @deprecated Use the manager's `retention` (per status and queue). Deletes finished records this many
   * ms after their `finishedAt`, whatever their status and queue. Default: keep forever.
   */
  retention?: number;
  /** Time limit of each call in ms, default 5000: then a `BackendError` of `failure: 'timeout'`. */
  operationTimeout?: number;
}

/** A URL, `redis://[user:password@]host:6379/db` (`rediss://`: TLS), and more ioredis options. */
export type RedisBackendUrlOptions = RedisBackendBaseOptions & { url: string; redis?: RedisOptions };
/** An ioredis `Redis` or `Cluster` the application owns: used as configured, never closed. */
export type RedisBackendClientOptions = RedisBackendBaseOptions & { client: Redis | Cluster };
/** ioredis options (`host`, `port`, `password`, `db`, `tls`...). */
export type RedisBackendConnectionOptions = RedisBackendBaseOptions & RedisOptions;
/** What `new RedisBackend(...)` accepts besides a URL string. */
export type RedisBackendOptions =
  | RedisBackendUrlOptions
  | RedisBackendClientOptions
  | RedisBackendConnectionOptions;

/** Version of the key layout in `<prefix>meta` (see the README, "What it creates"). */
const SCHEMA_VERSION = 3;
const CAPABILITIES = Object.freeze({ multiProcess: true, schedules: true, retention: true, notify: true });
/** Data the store refuses or that cannot be encoded; replies after which the script may run again. */
const REFUSED = /exceeds maximum|invalid bulk length|not a valid float|cannot be stored|BigInt|circular/i;
const TRANSIENT = /^(BUSY|LOADING|TRYAGAIN|CLUSTERDOWN|MASTERDOWN)\b/;
/** A script's arguments, or how to make them: inside the call, so that a refused record fails it. */
type Args = readonly string[] | (() => string[]);
function classify(error: unknown): core.BackendFailure {
  if (REFUSED.test(String(error))) return 'refused';
  return /Command timed out|TimeoutError/.test(String(error)) ? 'timeout' : 'unavailable';
}

/**
 * Errand's Redis backend (ioredis): shared history, atomic claims, leases and takeover, flow control,
 * retention, pub/sub wake-ups. Every operation is one call of one Lua script (atomic, one round trip);
 * a prefix's keys share one hash tag, so it works on Redis Cluster too.
 */
export class RedisBackend implements core.SnapshotBackend {
  static readonly capabilities: core.BackendCapabilities = CAPABILITIES;
  readonly name = 'redis';
  readonly capabilities = RedisBackend.capabilities;
  /** Job storage for `@errand/scheduler` (see the README, "Scheduler storage"). */
  readonly schedules: core.ScheduleStore;
  readonly #tag: string;
  readonly #retention: number;
  readonly #caller: core.StoreCaller;
  readonly #connection: Connection;
  readonly #watchers = new Set<() => Promise<void>>();
  readonly #sent = new SentHashes();
  #logger: core.Logger | null = null;
  #opened = false;

  /** `connection`: a URL, ioredis options or `{ client }`; `options`: base options, if not inside. */
  constructor(connection: string | RedisBackendOptions = {}, options: RedisBackendBaseOptions = {}) {
    const settings: RedisBackendOptions = typeof connection === 'string' ? { url: connection } : connection;
    const { prefix = 'errand:', retention = 0, operationTimeout, ...rest } = { ...settings, ...options };
    const timeout = core.resolveOperationTimeout(operationTimeout, 'RedisBackend');
    const tag = /\{[^}]+\}/.test(prefix) ? prefix : `{${prefix.replace(/:$/, '')}}:`;
    if (tag === '{}:') throw new core.InvalidOptionError('RedisBackend: prefix must not be empty');
    if (typeof retention !== 'number' || !Number.isFinite(retention) || retention < 0)
      throw new core.InvalidOptionError('RedisBackend: retention must be a non-negative number of ms');
    this.#tag = tag;
    this.#retention = Math.round(retention);
    const isTransient = (error: unknown) => TRANSIENT.test(String((error as Error)?.message));
    this.#caller = new core.StoreCaller({ backend: 'redis', timeout, classify, isTransient });
    this.schedules = redisScheduleStore((op, args) => this.#run(op, args));
    const { client, ...own } = rest as ConnectionSettings & { client?: Client };
    this.#connection = new Connection(client, own, timeout);
  }

  /** The connection in use: the application's own, or the backend's while it is open. */
  get client(): Client | null {
    return this.#opened || !this.#connection.own ? this.#connection.client : null;
  }

  /** Connects, writes the layout version, or moves an older store to it in batches (see the README). */
  async open(context: core.BackendContext): Promise<void> {
    if (this.#opened) return;
    const { client } = this.#connection;
    const version = String(SCHEMA_VERSION);
    const script = (op: string, args: string[]) => async () =>
      Number(await runScript(client, `${this.#tag}meta`, op, this.#retention, args));
    // migrate: false reads the version and writes nothing, not even a new store's version.
    const existingOnly = context.migrate === false;
    const read = async () => Number((await client.hget(`${this.#tag}meta`, 'version')) ?? 0);
    try {
      let stored = await this.#caller.call('open', async () => {
        await this.#connection.connect();
        return existingOnly ? read() : script('open', [version])();
      });
      if (existingOnly && stored !== SCHEMA_VERSION) throw notCurrent(this.#tag, stored);
      const newer = `schema version ${stored}, newer than ${SCHEMA_VERSION} of this @errand/backend-redis`;
      if (stored > SCHEMA_VERSION) throw new core.SchemaVersionError(`redis backend: ${newer}: upgrade it`);
      if (!(stored >= 1 && Number.isInteger(stored)))
        throw new core.SchemaVersionError(`redis backend: ${this.#tag}meta holds no readable schema version`);
      if (stored < SCHEMA_VERSION) context.logger.info(`redis: moving the store to layout ${version}`);
      while (stored < SCHEMA_VERSION)
        stored = await this.#caller.call('upgrade', script('upgrade', ['2000', version]));
      [this.#opened, this.#logger] = [true, context.logger];
    } catch (error) {
      await this.#connection.close();
      throw error;
    }
  }

  /** Stops its watchers; quits its own connection, or drops it when no answer comes within operationTimeout. */
  async close(): Promise<void> {
    this.#opened = false;
    await Promise.all([...this.#watchers].map((stop) => stop()));
    this.#watchers.clear();
    await this.#connection.close();
  }

  /** One script call; a second one sends whole the records whose patch found them changed meanwhile. */
  async write(records: readonly core.TaskRecord[]): Promise<core.WriteResult> {
    const first = await this.#store(records, false);
    if (first.stale.length === 0) return { conflicts: first.conflicts, fenced: first.fenced };
    const stale = new Set(first.stale);
    const again = await this.#store(
      records.filter((record) => stale.has(record.id)),
      true,
    );
    return {
      conflicts: [...first.conflicts, ...again.conflicts],
      fenced: [...first.fenced, ...again.fenced],
    };
  }

  async #store(records: readonly core.TaskRecord[], whole: boolean) {
    let plan: WritePlan | null = null;
    try {
      // Planned once: a call the store answered BUSY or LOADING is sent again as it was.
      const args = () => {
        plan ??= this.#sent.plan(records, whole);
        return plan.args;
      };
      const reply = (await this.#run('write', args)) as string[][];
      const [conflicts, fenced, stale] = reply as [string[], string[], string[]];
      this.#sent.settle(plan!, new Set([...conflicts.filter((_, i) => i % 2 === 0), ...fenced, ...stale]));
      return { conflicts: row.conflictsOf(conflicts), fenced, stale };
    } catch (error) {
      if (plan) this.#sent.settle(plan, null);
      throw error;
    }
  }
  async get(id: string): Promise<core.TaskRecord | null> {
    return (await this.getMany([id]))[0] ?? null;
  }
  async getMany(ids: readonly string[]): Promise<core.TaskRecord[]> {
    return row.pairsOf(await this.#run('getMany', ids), row.taskFromHash);
  }
  async query(query: core.NormalizedTaskQuery): Promise<core.TaskRecord[]> {
    return row.pairsOf(await this.#run('query', [row.historyArgs(query, true)]), row.taskFromHash);
  }
  async counts(query: core.NormalizedTaskQuery): Promise<core.StatusCounts> {
    const counts = JSON.parse((await this.#run('counts', [row.historyArgs(query, false)])) as string);
    return { ...core.emptyCounts(), ...counts };
  }
  async aggregate(request: core.AggregateRequest): Promise<core.Aggregate> {
    return row.aggregateOf((await this.#run('aggregate', [JSON.stringify(request)])) as never);
  }
  async heartbeat(instanceId: string, ttlMs: number, meta: Record<string, unknown>) {
    const args = [instanceId, String(Math.round(ttlMs)), JSON.stringify(meta)];
    const [cancelRequests, queues] = (await this.#run('heartbeat', args)) as string[][];
    return { cancelRequests: cancelRequests!, queues: queues!.map(row.overrideOf) };
  }
  async removeInstance(instanceId: string): Promise<void> {
    await this.#run('removeInstance', [instanceId]);
  }
  async instances(): Promise<core.InstanceInfo[]> {
    return JSON.parse((await this.#run('instances', [])) as string);
  }
  async claim(request: core.ClaimRequest): Promise<core.TaskRecord[]> {
    return row.pairsOf(await this.#run('claim', [row.claimArgs(request)]), row.taskFromHash);
  }
  async cancel(id: string): Promise<core.CancelOutcome> {
    return (await this.#run('cancel', [id])) as core.CancelOutcome;
  }
  async now(): Promise<number> {
    return Number(await this.#run('now', []));
  }
  async setQueueOverride(name: string, patch: core.QueueOverridePatch) {
    const stored = (await this.#run('setQueueOverride', [name, JSON.stringify(patch)])) as string | null;
    return stored === null ? null : row.overrideOf(stored);
  }
  async acquire(key: string, holder: string, want: number, limit: number): Promise<number> {
    return Number(await this.#run('acquire', [key, holder, ...[want, limit].map((n) => `${Math.floor(n)}`)]));
  }
  async release(key: string, holder: string, count: number): Promise<void> {
    await this.#run('release', [key, holder, `${Math.floor(count)}`]);
  }
  async takeTokens(key: string, want: number, { max, perMs }: { max: number; perMs: number }) {
    return Number(await this.#run('takeTokens', [key, `${Math.floor(want)}`, `${max}`, `${perMs}`]));
  }
  async purge(request: core.PurgeRequest): Promise<number> {
    return Number(await this.#run('purge', [row.purgeArgs(request)]));
  }
  async tryLock(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return Number(await this.#run('tryLock', [name, holder, `${Math.max(1, Math.round(ttlMs))}`])) === 1;
  }
  /** PUBLISH on the prefix's channel, `<prefix>wake` (with the client's `keyPrefix`). */
  async notify(): Promise<void> {
    await this.#call('notify', (client) => client.publish(this.#channel(client), ''));
  }
  /**
   * SUBSCRIBEs on a duplicate of the connection, which `keepSubscribed` of core opens again with
   * backoff when it drops, then calling `onWork`. Stopped by the returned function, or by `close()`.
   */
  async watch(onWork: () => void): Promise<() => Promise<void>> {
    const client = this.#client('watch');
    const open = (lost: () => void) => subscribe(client, this.#channel(client), onWork, lost);
    const started = core.keepSubscribed({ store: 'redis', logger: this.#logger!, open, reconnected: onWork });
    const stop = await this.#caller
      .call('watch', () => started)
      .catch((error: unknown) => {
        // Given up on: a subscription that comes later must not outlive the call.
        void started.then((late) => late()).catch(() => {});
        throw error;
      });
    this.#watchers.add(stop);
    return () => {
      this.#watchers.delete(stop);
      return stop();
    };
  }

  #channel(client: Client): string {
    return `${(client.options as { keyPrefix?: string }).keyPrefix ?? ''}${this.#tag}wake`;
  }

  #client(op: string): Client {
    if (!this.#opened)
      throw new core.InvalidStateError(`redis backend: ${op} failed: the backend is not open`);
    return this.#connection.client;
  }

  #run(op: string, args: Args): Promise<unknown> {
    return this.#call(op, (client) =>
      runScript(client, `${this.#tag}meta`, op, this.#retention, typeof args === 'function' ? args() : args),
    );
  }

  #call(op: string, work: (client: Client) => Promise<unknown>): Promise<unknown> {
    this.#client(op);
    const deadline = performance.now() + this.#caller.timeout;
    return this.#caller
      .call(op, () => this.#connection.send(work, deadline))
      .catch((error: unknown) => {
        if (error instanceof core.BackendError && error.failure === 'timeout')
          this.#connection.drop(() => this.#opened);
        throw error;
      });
  }
}

/** An open with `migrate: false` found no store under the prefix, or one at another layout version. */
function notCurrent(tag: string, found: number): core.SchemaVersionError {
  const versions = { found, expected: SCHEMA_VERSION };
  if (found === 0)
    return new core.SchemaVersionError(
      `redis backend: no Errand store under ${tag} (opened with migrate: false)`,
      versions,
    );
  const advice =
    found < SCHEMA_VERSION
      ? 'start the application, which moves it forward'
      : 'upgrade @errand/backend-redis';
  return new core.SchemaVersionError(
    `redis backend: ${tag}meta holds layout version ${found}, this @errand/backend-redis uses ${SCHEMA_VERSION}: ${advice}`,
    versions,
  );
}
