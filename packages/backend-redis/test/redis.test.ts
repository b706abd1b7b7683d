import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import {
  BackendError,
  DEFAULT_OPERATION_TIMEOUT,
  InvalidOptionError,
  InvalidStateError,
  normalizeQuery,
  SchemaVersionError,
  TaskManager,
  type TaskManager as TaskManagerType,
  type TaskRecord,
  type TickClaim,
} from '@errand/core';
import { makeRecord, requireService, sleep, waitFor } from '@errand/core/testing';
import { makeJob } from '@errand/scheduler/testing';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackend, type RedisBackendOptions } from '../src/index.js';
import {
  dropPrefix,
  keysOf,
  probeRedis,
  REDIS_URL,
  randomPrefix,
  START_COMMAND,
  scanKeys,
} from './redis-service.js';

const available = await requireService('redis', probeRedis, START_COMMAND);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const restartAllowed = process.env.ERRAND_REDIS_RESTART_TEST === '1' || process.env.CI === 'true';

describe.skipIf(!available)('redis backend', () => {
  let admin: Redis;
  const prefixes: string[] = [];
  const backends: RedisBackend[] = [];
  const managers: TaskManagerType[] = [];
  const users: string[] = [];
  const clients: Redis[] = [];

  function newPrefix(): string {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    return prefix;
  }

  async function open(options: RedisBackendOptions): Promise<RedisBackend> {
    const backend = new RedisBackend(options);
    await backend.open({ logger: quiet });
    backends.push(backend);
    return backend;
  }

  function appClient(options: RedisOptions = {}): Redis {
    const client = new Redis(REDIS_URL, options);
    client.on('error', () => {});
    clients.push(client);
    return client;
  }

  /** Names of the commands `client` sends from now on, lower-cased, in order (the array fills as it goes). */
  function recordCommands(client: Redis): string[] {
    const sent: string[] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((...args: Parameters<typeof send>) => {
      sent.push(args[0].name.toLowerCase());
      return send(...args);
    }) as typeof client.sendCommand;
    return sent;
  }

  /** A Redis user allowed only the keys of `prefix`: a script touching any other key fails. */
  async function restrictedUser(
    prefix: string,
    ...extraRules: string[]
  ): Promise<{ user: string; url: string }> {
    const user = `errand-test-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(8).toString('hex');
    const stem = prefix.slice(0, -1);
    await admin.acl('SETUSER', user, 'reset', 'on', `>${password}`, `~{${stem}}:*`, '+@all', ...extraRules);
    users.push(user);
    const url = new URL(REDIS_URL);
    url.username = user;
    url.password = password;
    return { user, url: url.toString() };
  }

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
    // Reconnects by itself after the restart test; the errors meanwhile are expected.
    admin.on('error', () => {});
  });

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
    await Promise.all(backends.splice(0).map((backend) => backend.close().catch(() => {})));
    for (const client of clients.splice(0)) client.disconnect();
    for (const user of users.splice(0)) await admin.acl('DELUSER', user);
    for (const prefix of prefixes.splice(0)) await dropPrefix(prefix);
  });

  afterAll(() => {
    admin.disconnect();
  });

  describe('open()', () => {
    it('rejects a closed port at once with a BackendError, and stops retrying', async () => {
      const backend = new RedisBackend({ url: 'redis://127.0.0.1:1/0', prefix: newPrefix() });
      const started = Date.now();
      const error = await backend.open({ logger: quiet }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).message).toMatch(/^redis backend: open failed: .*ECONNREFUSED/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(backend.client).toBeNull();
      await backend.close();
    });

    it('rejects an unknown host and a wrong password without printing the password', async () => {
      const host = new RedisBackend('redis://no-such-host.invalid:6379/0');
      await expect(host.open({ logger: quiet })).rejects.toThrow(/open failed: .*ENOTFOUND/);
      const { url } = await restrictedUser(newPrefix());
      const wrong = new URL(url);
      wrong.password = 'not-the-password-123';
      const auth = new RedisBackend({ url: wrong.toString() });
      const error = (await auth.open({ logger: quiet }).catch((caught: unknown) => caught)) as Error;
      expect(error).toBeInstanceOf(BackendError);
      expect(error.message).toMatch(/WRONGPASS/);
      expect(error.message).not.toContain('not-the-password-123');
    });

    it('rejects a database index the server does not have', async () => {
      const backend = new RedisBackend({ url: 'redis://127.0.0.1:6379/999', prefix: newPrefix() });
      await expect(backend.open({ logger: quiet })).rejects.toThrow(
        /open failed: .*DB index is out of range/,
      );
    });

    it('writes the schema version once, even when several instances open at once', async () => {
      const prefix = newPrefix();
      await Promise.all(Array.from({ length: 5 }, () => open({ url: REDIS_URL, prefix })));
      const meta = await admin.hgetall(`{${prefix.slice(0, -1)}}:meta`);
      expect(meta.version).toBe('3');
      expect(Number(meta.createdAt)).toBeGreaterThan(0);
      expect(meta.migratedAt).toBeUndefined();
    });

    it('migrates a version-1 store forward on open, once, keeping its records', async () => {
      const prefix = newPrefix();
      const meta = `{${prefix.slice(0, -1)}}:meta`;
      const first = await open({ url: REDIS_URL, prefix });
      const record = makeRecord({ status: 'success', idempotencyKey: 'kept' });
      await first.write([record]);
      await first.close();
      // Version 1 had the same task keys and no job keys: this is a version-1 store.
      await admin.hset(meta, 'version', '1', 'createdAt', '1700000000000');
      const before = Date.now();
      const backends = await Promise.all(Array.from({ length: 3 }, () => open({ url: REDIS_URL, prefix })));
      const after = await admin.hgetall(meta);
      expect(after.version).toBe('3');
      expect(after.createdAt).toBe('1700000000000');
      expect(Number(after.migratedAt)).toBeGreaterThanOrEqual(before - 5000);
      expect(await backends[0]!.get(record.id)).toEqual(record);
      expect((await backends[1]!.write([makeRecord({ idempotencyKey: 'kept' })])).conflicts).toHaveLength(1);
      const job = makeJob({ id: 'after-migration', nextRunAt: 1000 });
      expect(await backends[2]!.schedules.register(job)).toEqual(job);
      expect((await backends[0]!.schedules.due(1000, 10)).map((due) => due.id)).toEqual(['after-migration']);
    });

    it('refuses a store with a newer schema version', async () => {
      const prefix = newPrefix();
      await admin.hset(`{${prefix.slice(0, -1)}}:meta`, 'version', '4');
      const backend = new RedisBackend({ url: REDIS_URL, prefix });
      const error = await backend.open({ logger: quiet }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect((error as Error).message).toMatch(/schema version 4, newer than 3/);
      expect(backend.client).toBeNull();
      expect(await admin.hget(`{${prefix.slice(0, -1)}}:meta`, 'version')).toBe('4');
      // The schedule store exists before open(), but its calls fail until then.
      await expect(backend.schedules.list()).rejects.toThrow(/redis backend: listJobs failed: .*not open/);
    });

    it('refuses a store whose version is not a positive integer', async () => {
      for (const version of ['0', 'x', '1.5']) {
        const prefix = newPrefix();
        await admin.hset(`{${prefix.slice(0, -1)}}:meta`, 'version', version);
        const backend = new RedisBackend({ url: REDIS_URL, prefix });
        await expect(backend.open({ logger: quiet })).rejects.toThrow(SchemaVersionError);
        expect(await admin.hget(`{${prefix.slice(0, -1)}}:meta`, 'version')).toBe(version);
      }
    });
  });

  describe('options', () => {
    it('takes prefix and retention as a second argument, and a prefix with its own hash tag as it is', async () => {
      const prefix = newPrefix();
      const byUrl = new RedisBackend(REDIS_URL, { prefix });
      await byUrl.open({ logger: quiet });
      backends.push(byUrl);
      await byUrl.write([makeRecord()]);
      expect((await keysOf(admin, prefix)).length).toBeGreaterThan(1);

      const stem = `errand-test-${randomBytes(4).toString('hex')}`;
      const tagged = `app:{${stem}}:`;
      const withTag = await open({ url: REDIS_URL, prefix: tagged });
      prefixes.push(`${stem}:`);
      await withTag.write([makeRecord()]);
      const keys = await scanKeys(admin, `app:{${stem}}:*`);
      expect(keys).toContain(`app:{${stem}}:meta`);
      for (const key of keys) await admin.unlink(key);
      expect(() => new RedisBackend({ prefix: ':' })).toThrow(InvalidOptionError);
      expect(() => new RedisBackend(REDIS_URL, { retention: -1 })).toThrow(InvalidOptionError);
    });
  });

  describe("the application's own client", () => {
    it('is used as given and never closed by close()', async () => {
      const client = appClient();
      const prefix = newPrefix();
      const backend = await open({ client, prefix });
      const record = makeRecord();
      await backend.write([record]);
      await backend.close();
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
      const again = await open({ client, prefix });
      expect(await again.get(record.id)).toEqual(record);
    });

    it('connects a lazy client, and honours its ioredis keyPrefix in every key', async () => {
      const client = appClient({ lazyConnect: true, keyPrefix: 'app:' });
      const prefix = newPrefix();
      const backend = await open({ client, prefix });
      const records = [
        makeRecord({ idempotencyKey: 'k', status: 'success' }),
        makeRecord({ owner: 'gone', status: 'running' }),
      ];
      await backend.write(records);
      expect((await backend.query(normalizeQuery())).map((record) => record.id).sort()).toEqual(
        records.map((record) => record.id).sort(),
      );
      // Only a claimer whose own heartbeat is alive takes work.
      await backend.heartbeat('me', 60_000, {});
      expect(await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 10 })).toHaveLength(
        1,
      );
      const stem = prefix.slice(0, -1);
      const keys = await scanKeys(admin, `app:{${stem}}:*`);
      expect(keys.length).toBeGreaterThan(5);
      for (const key of keys) expect(key.startsWith(`app:{${stem}}:`)).toBe(true);
      for (const key of keys) await admin.unlink(key);
    });
  });

  it('keeps every key under the hash tag of its prefix and touches no other key', async () => {
    const prefix = newPrefix();
    // This user may touch only `{stem}:*`, publish only on `{stem}:wake`, and may not run KEYS or SCAN.
    const { url } = await restrictedUser(prefix, '-keys', '-scan', `&{${prefix.slice(0, -1)}}:wake`);
    const backend = await open({ url, prefix, retention: 1 });
    await backend.heartbeat('a', 60_000, { host: 'h' });
    const records = [
      makeRecord({ idempotencyKey: 'k1', owner: 'gone', status: 'running' }),
      makeRecord({ status: 'success', finishedAt: Date.now() - 10 }),
      makeRecord({ name: 'other', status: 'failed', error: 'Boom' }),
    ];
    await backend.write(records);
    await backend.query(normalizeQuery({ status: ['running', 'failed'], errorContains: 'boom' }));
    await backend.query(normalizeQuery({ name: 'other', idempotencyKey: 'k1' }));
    await backend.counts(normalizeQuery({ name: ['other', 'conformance.task'] }));
    await backend.claim({ instanceId: 'a', names: ['conformance.task', 'other'], limit: 10 });
    await backend.get(records[0]!.id);
    await backend.instances();
    await backend.now();
    await backend.cancel(records[1]!.id);
    await backend.getMany(records.map((record) => record.id));
    await backend.aggregate({ since: 0, until: Date.now(), bucketMs: 60_000, durationSample: 5 });
    await backend.setQueueOverride('mail', { paused: true, concurrency: 2 });
    await backend.acquire('slots:mail', 'a', 2, 5);
    await backend.release('slots:mail', 'a', 1);
    await backend.takeTokens('rate:mail', 2, { max: 10, perMs: 1000 });
    await backend.tryLock('retention', 'a', 1000);
    const purge = { finishedBefore: Date.now(), queues: null, excludeQueues: [], limit: 10 };
    await backend.purge({ status: 'failed', ...purge });
    let woken = 0;
    const unwatch = await backend.watch(() => woken++);
    await backend.notify();
    await waitFor(() => woken > 0, 3000, 'a wake-up');
    await unwatch();
    await backend.removeInstance('a');
    const schedules = backend.schedules;
    await schedules.register(makeJob({ id: 'j1', nextRunAt: 1000 }));
    await schedules.register(makeJob({ id: 'j2', nextRunAt: 2000 }));
    await schedules.markOrphans(['j1']);
    await schedules.setPaused('j1', true);
    await schedules.setPaused('j1', false);
    await schedules.claimTick({
      jobId: 'j1',
      expectedNextRunAt: 1000,
      nextRunAt: 3000,
      activeRuns: [],
      lastRunAt: 1000,
      lastOutcome: null,
      tasks: [makeRecord({ idempotencyKey: 'sched:j1:1000' })],
    });
    await schedules.recordOutcome('j1', 'x', 'success');
    await schedules.due(5000, 10);
    await schedules.list();
    await schedules.get('j1');
    await schedules.remove('j2');
    const stem = prefix.slice(0, -1);
    const keys = await keysOf(admin, prefix);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(`{${stem}}:`)).toBe(true);
  });

  it('answers query(), counts() and get() in one round trip each, never with KEYS or SCAN', async () => {
    const client = appClient();
    const backend = await open({ client, prefix: newPrefix() });
    const t0 = 1_750_000_000_000;
    await backend.write(
      Array.from({ length: 300 }, (_, i) =>
        makeRecord({
          name: `job-${i % 3}`,
          status: i % 4 === 0 ? 'failed' : 'success',
          createdAt: t0 + i,
          error: i % 4 === 0 ? `Error ${i}` : null,
          idempotencyKey: i % 10 === 0 ? `key-${i}` : null,
        }),
      ),
    );
    const sent = recordCommands(client);

    const shapes = [
      {},
      { status: 'failed' as const },
      { status: ['failed' as const, 'success' as const], name: 'job-1' },
      { name: ['job-0', 'job-2'], since: t0 + 10, until: t0 + 200 },
      { idempotencyKey: 'key-20' },
      { errorContains: 'ERROR 1' },
      { limit: 7 },
    ];
    for (const shape of shapes) {
      const query = normalizeQuery(shape);
      sent.length = 0;
      const rows = await backend.query(query);
      expect(sent).toEqual(['evalsha']);
      sent.length = 0;
      const counts = await backend.counts(query);
      expect(sent).toEqual(['evalsha']);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(
        Math.min(rows.length, 1),
      );
    }
    const cursorQuery = normalizeQuery({ limit: 10 });
    const firstPage = await backend.query(cursorQuery);
    sent.length = 0;
    await backend.query({
      ...cursorQuery,
      after: { createdAt: firstPage[9]!.createdAt, id: firstPage[9]!.id },
    });
    await backend.get(firstPage[0]!.id);
    expect(sent).toEqual(['evalsha', 'evalsha']);
  });

  it('writes 10,000 records in one round trip (one script call)', async () => {
    const client = appClient();
    const backend = await open({ client, prefix: newPrefix() });
    const sent = recordCommands(client);
    let best = Number.POSITIVE_INFINITY;
    const base = Date.now();
    for (let round = 0; round < 2; round++) {
      const records = Array.from({ length: 10_000 }, (_, i) =>
        makeRecord({
          createdAt: base + i,
          name: `job-${i % 5}`,
          status: i % 3 === 0 ? 'pending' : 'success',
          args: [{ to: 'someone@example.com', n: i }],
          logs: [{ at: base + i, message: 'sent' }],
          idempotencyKey: i % 2 === 0 ? `order-${round}-${i}` : null,
        }),
      );
      sent.length = 0;
      const started = performance.now();
      expect((await backend.write(records)).conflicts).toEqual([]);
      best = Math.min(best, performance.now() - started);
      // The whole batch is one script call (all or nothing): a single round trip.
      expect(sent.filter((name) => name === 'evalsha').length).toBe(1);
      expect(sent.filter((name) => name === 'exec').length).toBe(0);
    }
    // Speed is the benchmark's to judge (a loaded machine would fail a timed test): only shown here.
    console.info(`redis backend: 10,000 records written in ${best.toFixed(0)} ms`);
    expect(
      (await backend.counts(normalizeQuery())).success + (await backend.counts(normalizeQuery())).pending,
    ).toBe(20_000);
  });

  describe('schedule store', () => {
    function tick(jobId: string, expectedNextRunAt: number, overrides: Partial<TickClaim> = {}): TickClaim {
      return {
        jobId,
        expectedNextRunAt,
        nextRunAt: expectedNextRunAt + 1000,
        activeRuns: [],
        lastRunAt: expectedNextRunAt,
        lastOutcome: null,
        tasks: [],
        ...overrides,
      };
    }

    it('answers every call in one round trip, a claim with its tasks included', async () => {
      const client = appClient();
      const backend = await open({ client, prefix: newPrefix() });
      const { schedules } = backend;
      const sent = recordCommands(client);
      const calls: Array<() => Promise<unknown>> = [
        () => schedules.register(makeJob({ nextRunAt: 1000 })),
        () => schedules.list(),
        () => schedules.get('nightly-report'),
        () => schedules.due(5000, 10),
        () => schedules.markOrphans(['nightly-report']),
        () => schedules.setPaused('nightly-report', false),
        () =>
          schedules.claimTick(
            tick('nightly-report', 1000, {
              tasks: Array.from({ length: 3 }, (_, i) => makeRecord({ idempotencyKey: `k-${i}` })),
            }),
          ),
        () => schedules.recordOutcome('nightly-report', 'x', 'success'),
        () => schedules.remove('nightly-report'),
      ];
      for (const call of calls) {
        sent.length = 0;
        await call();
        expect(sent).toEqual(['evalsha']);
      }
    });

    it('keeps the due index equal to the jobs that may fire, through every change', async () => {
      const prefix = newPrefix();
      const backend = await open({ url: REDIS_URL, prefix });
      const { schedules } = backend;
      const dueKey = `{${prefix.slice(0, -1)}}:jobs:due`;
      const dueIndex = async () => {
        const flat = await admin.zrange(dueKey, 0, -1, 'WITHSCORES');
        const index: Record<string, number> = {};
        for (let i = 0; i < flat.length; i += 2) index[flat[i]!] = Number(flat[i + 1]);
        return index;
      };
      await schedules.register(makeJob({ id: 'a', nextRunAt: 1000 }));
      await schedules.register(makeJob({ id: 'b', nextRunAt: 2000, paused: true }));
      await schedules.register(makeJob({ id: 'c', nextRunAt: null }));
      expect(await dueIndex()).toEqual({ a: 1000 });
      await schedules.setPaused('b', false);
      expect(await dueIndex()).toEqual({ a: 1000, b: 2000 });
      await schedules.markOrphans(['b', 'c']);
      expect(await dueIndex()).toEqual({ b: 2000 });
      // Same definition: the stored run state stays, the orphan flag clears.
      await schedules.register(makeJob({ id: 'a', nextRunAt: 7777 }));
      expect(await dueIndex()).toEqual({ a: 1000, b: 2000 });
      // New definition: the new nextRunAt replaces the old.
      await schedules.register(makeJob({ id: 'c', definitionHash: 'hash-2', nextRunAt: 1500 }));
      expect(await dueIndex()).toEqual({ a: 1000, b: 2000, c: 1500 });
      expect((await schedules.claimTick(tick('a', 1000, { nextRunAt: null }))).won).toBe(true);
      expect(await dueIndex()).toEqual({ b: 2000, c: 1500 });
      // A job with no next run can never be claimed again.
      expect((await schedules.claimTick(tick('a', 1000))).won).toBe(false);
      expect((await schedules.claimTick(tick('c', 1500, { nextRunAt: 2500 }))).won).toBe(true);
      expect(await dueIndex()).toEqual({ b: 2000, c: 2500 });
      expect(await schedules.remove('b')).toBe(true);
      expect(await dueIndex()).toEqual({ c: 2500 });
      expect((await schedules.due(3000, 10)).map((job) => job.id)).toEqual(['c']);
      expect((await schedules.due(3000, Number.POSITIVE_INFINITY)).map((job) => job.id)).toEqual(['c']);
      expect(await schedules.due(3000, 0)).toEqual([]);
    });

    it('compares epoch milliseconds exactly and orders equal due times by id', async () => {
      const backend = await open({ url: REDIS_URL, prefix: newPrefix() });
      const { schedules } = backend;
      const far = 8_640_000_000_000_000; // the largest Date
      await schedules.register(makeJob({ id: 'far', nextRunAt: far - 1 }));
      expect((await schedules.claimTick(tick('far', far - 2))).won).toBe(false);
      expect((await schedules.claimTick(tick('far', far, { nextRunAt: far }))).won).toBe(false);
      expect((await schedules.claimTick(tick('far', far - 1, { nextRunAt: far }))).won).toBe(true);
      expect((await schedules.get('far'))?.nextRunAt).toBe(far);
      for (const id of ['z', 'm', 'a'])
        await schedules.register(makeJob({ id, nextRunAt: 1_750_000_000_123 }));
      expect((await schedules.due(1_750_000_000_123, 10)).map((job) => job.id)).toEqual(['a', 'm', 'z']);
      expect(await schedules.due(1_750_000_000_122, 10)).toEqual([]);
    });

    it('stores tick tasks with the rules of write(): fencing, key conflicts and retention', async () => {
      const prefix = newPrefix();
      const backend = await open({ url: REDIS_URL, prefix, retention: 60_000 });
      const { schedules } = backend;
      await schedules.register(makeJob({ nextRunAt: 1000 }));
      const owned = makeRecord({ status: 'running', owner: 'other' });
      const held = makeRecord({ idempotencyKey: 'sched:nightly-report:1000' });
      await backend.write([owned, held]);
      const missed = makeRecord({ status: 'cancelled', finishedAt: Date.now(), error: 'missed' });
      const tasks = [
        { ...owned, status: 'success' as const, owner: 'me', finishedAt: Date.now() },
        makeRecord({ idempotencyKey: 'sched:nightly-report:1000' }),
        missed,
      ];
      expect(
        (await schedules.claimTick(tick('nightly-report', 1000, { lastOutcome: 'missed', tasks }))).won,
      ).toBe(true);
      expect(await backend.get(owned.id)).toEqual(owned);
      expect(await backend.get(tasks[1]!.id)).toBeNull();
      expect(await backend.get(missed.id)).toEqual(missed);
      // In the finished-time index that retention purges from.
      expect(await admin.zscore(`{${prefix.slice(0, -1)}}:done:cancelled:default`, missed.id)).toBe(
        String(missed.finishedAt!),
      );
      expect(await schedules.get('nightly-report')).toMatchObject({
        nextRunAt: 2000,
        lastRunAt: 1000,
        lastOutcome: 'missed',
      });
    });

    it('gives each tick to exactly one of many connections claiming at once', async () => {
      const prefix = newPrefix();
      const backends = await Promise.all(Array.from({ length: 6 }, () => open({ url: REDIS_URL, prefix })));
      await backends[0]!.schedules.register(makeJob({ id: 'busy', nextRunAt: 0 }));
      let won = 0;
      for (let n = 0; n < 50; n++) {
        const results = await Promise.all(
          backends.map((backend) =>
            backend.schedules.claimTick(
              tick('busy', n * 1000, {
                tasks: [makeRecord({ name: 'tick', idempotencyKey: `sched:busy:${n * 1000}` })],
              }),
            ),
          ),
        );
        expect(results.filter((result) => result.won)).toHaveLength(1);
        won++;
      }
      expect((await backends[0]!.counts(normalizeQuery({ name: 'tick' }))).pending).toBe(won);
      expect((await backends[0]!.schedules.get('busy'))?.nextRunAt).toBe(50_000);
    });
  });

  it('retention deletes finished records with their index entries and releases their keys', async () => {
    const prefix = newPrefix();
    const backend = await open({ url: REDIS_URL, prefix, retention: 300 });
    const now = Date.now();
    const done = makeRecord({ status: 'success', finishedAt: now, idempotencyKey: 'once', name: 'mail' });
    const failed = makeRecord({ status: 'failed', finishedAt: now, error: 'no', name: 'mail' });
    const pending = makeRecord({ status: 'pending', name: 'mail' });
    const interruptedRequeue = makeRecord({
      status: 'interrupted',
      requeueOnInterrupt: true,
      finishedAt: now,
    });
    await backend.write([done, failed, pending, interruptedRequeue]);
    expect((await backend.write([makeRecord({ idempotencyKey: 'once' })])).conflicts).toHaveLength(1);
    expect(await backend.get(done.id)).toEqual(done);

    await sleep(400);
    expect(await backend.get(done.id)).toBeNull();
    expect(await backend.get(failed.id)).toBeNull();
    // Unfinished (and still claimable) work is never expired.
    expect(await backend.get(pending.id)).toEqual(pending);
    expect(await backend.get(interruptedRequeue.id)).toEqual(interruptedRequeue);
    expect((await backend.query(normalizeQuery({ name: 'mail' }))).map((record) => record.id)).toEqual([
      pending.id,
    ]);
    expect(await backend.counts(normalizeQuery())).toMatchObject({ success: 0, failed: 0, pending: 1 });
    expect((await backend.write([makeRecord({ idempotencyKey: 'once' })])).conflicts).toEqual([]);

    // No key and no index member anywhere still points at an expired record.
    for (const key of await keysOf(admin, prefix)) {
      expect(key).not.toContain(done.id);
      expect(key).not.toContain(failed.id);
      const type = await admin.type(key);
      if (type === 'zset') {
        expect(await admin.zscore(key, done.id)).toBeNull();
        expect(await admin.zscore(key, failed.id)).toBeNull();
      } else if (type === 'hash' && key.endsWith(':keys')) {
        expect(Object.values(await admin.hgetall(key))).not.toContain(done.id);
      }
    }
  });

  describe('the skeleton contract, as only Redis has it', () => {
    /** Everything an error shows: message, stack, every cause, and every own property (util.inspect). */
    function shown(error: unknown): string {
      const parts: string[] = [inspect(error, { depth: 10, showHidden: true })];
      for (let e = error as Error | undefined; e; e = (e as { cause?: Error }).cause) {
        parts.push(String(e.message), String(e.stack));
      }
      return parts.join('\n');
    }

    it('never shows the password of a malformed or unreachable URL', async () => {
      for (const url of [
        'redis://:s3cret@127.0.0.1:99999/0',
        'redis://:s3cret@[::1/0',
        'redis://u:s3cret@h:x/0',
      ]) {
        for (const make of [() => new RedisBackend(url), () => new RedisBackend({ url, prefix: 'p:' })]) {
          let error: unknown = null;
          try {
            make();
          } catch (caught) {
            error = caught;
          }
          expect(error, url).toBeInstanceOf(InvalidOptionError);
          expect(shown(error)).not.toContain('s3cret');
        }
      }
      for (const url of ['redis://:s3cret@127.0.0.1:1/0', 'redis://u:s3cret@no-such-host.invalid:6379/0']) {
        const backend = new RedisBackend({ url, prefix: newPrefix() });
        const error = await backend.open({ logger: quiet }).catch((caught: unknown) => caught);
        expect(error, url).toBeInstanceOf(BackendError);
        expect(shown(error)).not.toContain('s3cret');
        await backend.close();
      }
    });

    it('refuses a batch with a record Redis cannot keep as given, and stores none of it', async () => {
      const backend = await open({ url: REDIS_URL, prefix: newPrefix() });
      const good = makeRecord();
      for (const bad of [
        makeRecord({ createdAt: Number.NaN }),
        makeRecord({ name: null as unknown as string }),
      ]) {
        const error = await backend.write([good, bad]).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(BackendError);
        expect((error as BackendError).failure).toBe('refused');
        expect(await backend.get(good.id)).toBeNull();
      }
      expect(await backend.write([good])).toEqual({ conflicts: [], fenced: [] });
    });

    it('classifies store replies: data refused, unavailable, and transient ones retried', async () => {
      const client = appClient();
      const backend = await open({ client, prefix: newPrefix() });
      await backend.now();
      const command = Object.keys(client).find((name) => name.startsWith('errand_'))!;
      const real = (client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[command]!;
      const failing = (replies: string[]) => {
        (client as unknown as Record<string, unknown>)[command] = (...args: unknown[]) => {
          const reply = replies.shift();
          return reply ? Promise.reject(new Error(reply)) : real.apply(client, args);
        };
      };
      failing(['BUSY Redis is busy running a script', 'LOADING Redis is loading the dataset in memory']);
      expect(await backend.now()).toBeGreaterThan(0);
      failing(['ERR string exceeds maximum allowed size (proto-max-bulk-len)']);
      expect(await backend.now().catch((error: BackendError) => error.failure)).toBe('refused');
      failing(["OOM command not allowed when used memory > 'maxmemory'."]);
      expect(await backend.now().catch((error: BackendError) => error.failure)).toBe('unavailable');
    });

    it('bounds its own connection by operationTimeout and leaves a given client as configured', async () => {
      expect(() => new RedisBackend({ url: REDIS_URL, operationTimeout: 5 })).toThrow(InvalidOptionError);
      const own = await open({ url: REDIS_URL, prefix: newPrefix(), operationTimeout: 1234 });
      expect((own.client as Redis).options).toMatchObject({ commandTimeout: 1234, connectTimeout: 1234 });
      const byDefault = await open({ url: REDIS_URL, prefix: newPrefix() });
      expect((byDefault.client as Redis).options.commandTimeout).toBe(DEFAULT_OPERATION_TIMEOUT);
      const client = appClient();
      await open({ client, prefix: newPrefix(), operationTimeout: 50 });
      expect(client.options.commandTimeout).toBeUndefined();
    });

    it("searches the error of a claimed task as core's matchesQuery does, non-ASCII owners included", async () => {
      const backend = await open({ url: REDIS_URL, prefix: newPrefix() });
      const lost = makeRecord({ owner: 'ÉQUIPE-7', status: 'running', attempt: 1 });
      await backend.write([lost]);
      await backend.heartbeat('NŒUD-2', 60_000, {});
      const [first] = await backend.claim({ instanceId: 'NŒUD-2', names: ['conformance.task'], limit: 1 });
      expect(first!.error).toBe('instance ÉQUIPE-7 stopped before the task finished');
      const byText = async (text: string) =>
        (await backend.query(normalizeQuery({ errorContains: text }))).map((record) => record.id);
      expect(await byText('équipe-7 STOPPED')).toEqual([lost.id]);
      const second = makeRecord({ owner: 'NŒUD-2', status: 'running', attempt: 1 });
      await backend.write([second]);
      await backend.heartbeat('me', 60_000, {});
      await backend.claim({
        instanceId: 'me',
        names: ['conformance.task'],
        limit: 5,
        deadOwners: ['NŒUD-2'],
      });
      expect(await byText('nœud-2')).toEqual([second.id]);
    });
  });

  it('retention also applies to records interrupted by a claim', async () => {
    const backend = await open({ url: REDIS_URL, prefix: newPrefix(), retention: 200 });
    const running = makeRecord({ status: 'running', owner: 'dead' });
    await backend.write([running]);
    // Only a claimer whose own heartbeat is alive takes work.
    await backend.heartbeat('me', 60_000, {});
    const [claimed] = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 1 });
    expect(claimed).toMatchObject({ status: 'interrupted', owner: 'me' });
    await sleep(300);
    expect(await backend.get(running.id)).toBeNull();
    expect(await backend.query(normalizeQuery())).toEqual([]);
  });

  it('claims only from dead owners and leaves a live owner’s work alone', async () => {
    const backend = await open({ url: REDIS_URL, prefix: newPrefix() });
    await backend.heartbeat('busy', 60_000, {});
    const live = Array.from({ length: 500 }, () => makeRecord({ owner: 'busy', status: 'pending' }));
    const dead = Array.from({ length: 3 }, () => makeRecord({ owner: 'dead', status: 'pending' }));
    await backend.write([...live, ...dead]);
    // Only a claimer whose own heartbeat is alive takes work.
    await backend.heartbeat('me', 60_000, {});
    const claimed = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 100 });
    expect(claimed.map((record) => record.id).sort()).toEqual(dead.map((record) => record.id).sort());
    await backend.removeInstance('busy');
    expect(await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 1000 })).toHaveLength(
      500,
    );
  });

  describe('layout 3, from the previous release', () => {
    type Dump = Record<string, { type: string; value: unknown }>;
    const fixture = JSON.parse(
      readFileSync(new URL('./fixtures/layout-2-store.json', import.meta.url), 'utf8'),
    ) as { records: Array<Omit<TaskRecord, 'tags'> & { tags: string[] }>; keys: Dump };

    /** Writes the keys of the fixture under `prefix`, as the previous release left them. */
    async function restore(prefix: string, keys: Dump = fixture.keys): Promise<void> {
      const tag = `{${prefix.slice(0, -1)}}:`;
      for (const [name, { type, value }] of Object.entries(keys)) {
        const key = name.replace('{PREFIX}:', tag);
        if (type === 'hash') await admin.hset(key, value as Record<string, string>);
        else if (type === 'set') await admin.sadd(key, ...(value as string[]));
        else {
          const flat = value as string[];
          for (let i = 0; i < flat.length; i += 2) await admin.zadd(key, flat[i + 1]!, flat[i]!);
        }
      }
    }

    it('moves a store of the previous release forward: records read back, claims take them in priority order', async () => {
      const prefix = newPrefix();
      const tag = `{${prefix.slice(0, -1)}}:`;
      await restore(prefix);
      expect(await admin.hget(`${tag}meta`, 'version')).toBe('2');
      const backend = await open({ url: REDIS_URL, prefix });
      const meta = await admin.hgetall(`${tag}meta`);
      expect(meta).toMatchObject({ version: '3', migratedAt: expect.any(String) });
      expect(meta.upgradeAt).toBeUndefined();
      // Retention is core's purge now: the expiry set of the old option is gone.
      expect(await admin.exists(`${tag}expiry`)).toBe(0);

      const [pendingOld, pendingHigh, running, unowned, success, failed, interrupted, report] =
        fixture.records.map((record) => ({
          ...record,
          tags: Object.fromEntries(record.tags.map((name) => [name, ''])),
          expiresAt: null,
          cancelRequested: false,
          headers: {},
        }));
      const ids = fixture.records.map((record) => record.id);
      const stored = await backend.getMany(ids);
      expect(stored.sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([
        pendingOld,
        pendingHigh,
        running,
        unowned,
        success,
        failed,
        interrupted,
        report,
      ]);
      const found = async (query: Parameters<typeof normalizeQuery>[0]) =>
        (await backend.query(normalizeQuery(query))).map((record) => record.id);
      // Tags stored as a list match as keys with empty values.
      expect(await found({ tags: { vip: '' } })).toEqual([pendingOld!.id]);
      expect(await found({ tags: { eu: '' }, queue: 'default' })).toEqual([pendingHigh!.id, pendingOld!.id]);
      expect(await found({ queue: 'default' })).toHaveLength(8);
      expect(await found({ errorContains: 'smtp refused' })).toEqual([failed!.id]);

      const t0 = pendingOld!.createdAt;
      const aggregate = await backend.aggregate({
        since: t0,
        until: Date.now() + 1,
        bucketMs: 86_400_000,
        durationSample: 5,
      });
      const start = Math.floor(report!.finishedAt! / 86_400_000) * 86_400_000;
      expect(aggregate.finished.filter((row) => row.start === start)).toEqual([
        { start, status: 'failed', count: 1 },
        { start, status: 'success', count: 2 },
      ]);
      expect(aggregate.durations).toEqual([
        { name: 'report', duration: 7 },
        { name: 'mail', duration: 100.25 },
      ]);
      expect(aggregate.oldestPendingAt).toBe(t0);

      // A version-2 body has no cancelRequested yet: a cancel adds it.
      expect(await backend.cancel(unowned!.id)).toBe('cancelled');
      expect(await backend.get(unowned!.id)).toMatchObject({
        ...unowned,
        status: 'cancelled',
        error: 'cancelled',
        cancelRequested: true,
        finishedAt: expect.any(Number),
      });
      await backend.heartbeat('me', 60_000, {});
      const claimed = await backend.claim({ instanceId: 'me', names: ['mail'], limit: 10 });
      expect(claimed.map((record) => [record.id, record.status])).toEqual([
        [pendingHigh!.id, 'pending'],
        [pendingOld!.id, 'pending'],
        [running!.id, 'interrupted'],
        [interrupted!.id, 'pending'],
      ]);
      expect(
        await backend.purge({
          status: 'success',
          finishedBefore: Date.now(),
          queues: null,
          excludeQueues: [],
          limit: 10,
        }),
      ).toBe(2);
      expect((await backend.write([makeRecord({ idempotencyKey: 'welcome-ada' })])).conflicts).toEqual([]);
      // The key of the running task stays held by the interrupted record.
      expect((await backend.write([makeRecord({ idempotencyKey: 'run-once' })])).conflicts).toHaveLength(1);
    });

    it('shares the move between instances opening at once, in batches, through ties in createdAt', async () => {
      const prefix = newPrefix();
      const tag = `{${prefix.slice(0, -1)}}:`;
      const writer = await open({ url: REDIS_URL, prefix });
      const at = Date.now() - 60_000;
      const records = Array.from({ length: 4500 }, (_, i) =>
        makeRecord({
          queue: 'mail',
          status: 'success',
          // 1,500 records share one createdAt, across the boundary of two batches.
          createdAt: i < 1000 ? at + i : i < 2500 ? at + 1000 : at + i,
          finishedAt: at + 2 * i,
          duration: i + 0.5,
          priority: i % 3,
        }),
      );
      await writer.write(records);
      await writer.close();
      // Back to what the previous release stored: those fields in the body, no finished-time index.
      await admin.eval(
        `for _, id in ipairs(redis.call('ZRANGE', KEYS[1] .. 'idx:all', 0, -1)) do
          local key = KEYS[1] .. 'task:' .. id
          local f = redis.call('HMGET', key, 'queue', 'priority', 'runAt', 'duration', 'body')
          local rest = string.sub(f[5], #'{"cancelRequested":false,' + 1)
          local fields = '{"queue":"' .. f[1] .. '","priority":' .. f[2] .. ',"runAt":' .. f[3] .. ',"duration":' .. f[4]
          redis.call('HSET', key, 'body', fields .. ',' .. rest)
          redis.call('HDEL', key, 'queue', 'priority', 'runAt', 'duration')
        end
        redis.call('DEL', KEYS[1] .. 'done:success:mail', KEYS[1] .. 'done:queues')
        redis.call('HSET', KEYS[1] .. 'meta', 'version', '2')`,
        1,
        tag,
      );
      expect(await admin.hget(`${tag}task:${records[0]!.id}`, 'queue')).toBeNull();
      const backends = await Promise.all(Array.from({ length: 3 }, () => open({ url: REDIS_URL, prefix })));
      expect(await admin.zcard(`${tag}done:success:mail`)).toBe(records.length);
      for (const record of [records[0]!, records[1999]!, records[2000]!, records[4499]!]) {
        expect(await admin.hmget(`${tag}task:${record.id}`, 'queue', 'priority', 'duration')).toEqual([
          'mail',
          String(record.priority),
          String(record.duration),
        ]);
        expect(await backends[1]!.get(record.id)).toEqual(record);
      }
      expect(await admin.hget(`${tag}meta`, 'upgradeAt')).toBeNull();
      const purge = { status: 'success' as const, queues: ['mail'], excludeQueues: [], limit: 5000 };
      expect(await backends[2]!.purge({ ...purge, finishedBefore: Date.now() })).toBe(records.length);
    });
  });

  describe('wake-ups (pub/sub)', () => {
    /** Client ids of the subscriber connections named `name`. */
    async function subscribers(name: string): Promise<string[]> {
      const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
      return list
        .split('\n')
        .filter((line) => line.includes(` name=${name} `))
        .map((line) => /^id=(\d+)/.exec(line)![1]!);
    }

    it('subscribes again after its connection is killed, wakes the watcher then, and stops for good', async () => {
      const prefix = newPrefix();
      const name = `errand-watch-${randomBytes(3).toString('hex')}`;
      const warnings: string[] = [];
      const watching = new RedisBackend({ url: REDIS_URL, prefix, redis: { connectionName: name } });
      await watching.open({ logger: { ...quiet, warn: (message: string) => warnings.push(message) } });
      backends.push(watching);
      const notifier = await open({ url: REDIS_URL, prefix });
      let woken = 0;
      const unwatch = await watching.watch(() => woken++);
      const [first] = await subscribers(name);
      expect(first).toEqual(expect.any(String));
      await notifier.notify();
      await waitFor(() => woken === 1, 3000, 'the first wake-up');

      await admin.client('KILL', 'ID', first!);
      // What was published meanwhile is lost: subscribed again, it wakes the watcher once.
      await waitFor(() => woken === 2, 5000, 'the wake-up after subscribing again');
      expect(warnings.some((message) => message.includes('reconnecting'))).toBe(true);
      const [second] = await subscribers(name);
      expect(second).not.toBe(first);
      await notifier.notify();
      await waitFor(() => woken === 3, 3000, 'a wake-up on the new connection');

      await unwatch();
      await waitFor(async () => (await subscribers(name)).length === 0, 3000, 'the subscriber to end');
      await notifier.notify();
      await sleep(200);
      expect(woken).toBe(3);
    });

    it('wakes only the watchers of the same prefix and ioredis keyPrefix', async () => {
      const prefix = newPrefix();
      const notifier = await open({ url: REDIS_URL, prefix });
      const stores = [
        { url: REDIS_URL, prefix },
        { url: REDIS_URL, prefix: newPrefix() },
        { client: appClient({ keyPrefix: 'app:' }), prefix },
      ];
      const woken = [0, 0, 0];
      for (const [i, options] of stores.entries()) await (await open(options)).watch(() => woken[i]!++);
      await notifier.notify();
      await waitFor(() => woken[0] === 1, 3000, 'the same store to be woken');
      await sleep(200);
      expect(woken).toEqual([1, 0, 0]);
    });

    it('ends its subscriber connections at close(), and refuses to watch while not open', async () => {
      const name = `errand-watch-${randomBytes(3).toString('hex')}`;
      const backend = new RedisBackend({
        url: REDIS_URL,
        prefix: newPrefix(),
        redis: { connectionName: name },
      });
      await expect(backend.watch(() => {})).rejects.toBeInstanceOf(InvalidStateError);
      await expect(backend.notify()).rejects.toBeInstanceOf(InvalidStateError);
      await backend.open({ logger: quiet });
      backends.push(backend);
      await backend.watch(() => {});
      await backend.watch(() => {});
      expect(await subscribers(name)).toHaveLength(2);
      await backend.close();
      await waitFor(async () => (await subscribers(name)).length === 0, 3000, 'the subscribers to end');
      await expect(backend.watch(() => {})).rejects.toBeInstanceOf(InvalidStateError);
    });
  });

  describe('on a large history', () => {
    it('claims in priority order from the buckets of gone owners only, leaving work not due yet alone', async () => {
      const backend = await open({ url: REDIS_URL, prefix: newPrefix() });
      await backend.heartbeat('busy', 60_000, {});
      await backend.heartbeat('me', 60_000, {});
      const t0 = Date.now() - 100_000;
      const batch = (n: number, make: (i: number) => Partial<TaskRecord>) =>
        backend.write(Array.from({ length: n }, (_, i) => makeRecord({ createdAt: t0 + i, ...make(i) })));
      for (let round = 0; round < 4; round++)
        await batch(10_000, () => ({ status: 'success', finishedAt: Date.now(), owner: 'busy' }));
      await batch(10_000, (i) => ({ owner: 'busy', priority: i % 5 }));
      // Shared work for later, at the highest priority: not claimable before its time.
      await batch(5000, () => ({ owner: null, priority: 9, runAt: Date.now() + 3_600_000 }));
      const due = Array.from({ length: 30 }, (_, i) =>
        makeRecord({ owner: i % 3 === 0 ? 'gone' : null, priority: i % 4, createdAt: t0 + 50_000 + i }),
      );
      await backend.write(due);
      const expected = due
        .slice()
        .sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt)
        .slice(0, 20)
        .map((record) => record.id);
      const started = performance.now();
      const claimed = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 20 });
      const took = performance.now() - started;
      console.info(`redis backend: a claim of 20 on 75,030 records took ${took.toFixed(1)} ms`);
      expect(claimed.map((record) => record.id)).toEqual(expected);
      expect(took).toBeLessThan(250);
      const rest = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 100 });
      expect(rest).toHaveLength(10);
    });

    it('aggregates and purges from the finished-time index, per queue, oldest first', async () => {
      const backend = await open({ url: REDIS_URL, prefix: newPrefix() });
      const t0 = Date.now() - 1_000_000;
      // A queue with a longer retention comes first in time: a purge of the others never walks it.
      const kept = Array.from({ length: 20_000 }, (_, i) =>
        makeRecord({ queue: 'audit', status: 'success', finishedAt: t0 + i, duration: 1 }),
      );
      const old = Array.from({ length: 1000 }, (_, i) =>
        makeRecord({ status: 'success', finishedAt: t0 + 100_000 + i, duration: 2 }),
      );
      await backend.write(kept);
      await backend.write(old);
      const request = {
        status: 'success' as const,
        finishedBefore: Date.now(),
        queues: null,
        excludeQueues: ['audit'],
        limit: 500,
      };
      const started = performance.now();
      expect(await backend.purge(request)).toBe(500);
      const took = performance.now() - started;
      expect(await backend.purge(request)).toBe(500);
      expect(await backend.purge(request)).toBe(0);
      expect(took).toBeLessThan(250);
      const aggregate = await backend.aggregate({
        since: t0,
        until: t0 + 20_000,
        bucketMs: 1,
        durationSample: 2,
      });
      // 20,000 buckets of one each: the scores are read instead of a count per bucket.
      expect(aggregate.finished).toHaveLength(20_000);
      expect(aggregate.finished[0]).toEqual({ start: t0, status: 'success', count: 1 });
      expect(aggregate.durations).toEqual([
        { name: 'conformance.task', duration: 1 },
        { name: 'conformance.task', duration: 1 },
      ]);
      const coarse = await backend.aggregate({
        since: 0,
        until: Date.now(),
        bucketMs: 1000,
        durationSample: 0,
      });
      expect(coarse.finished.reduce((sum, row) => sum + row.count, 0)).toBe(20_000);
    });
  });

  describe('the fleet and flow control, as only Redis has them', () => {
    it('takes unowned work for later out of the claims until it is due, and a cancel out of the wait', async () => {
      const prefix = newPrefix();
      const backend = await open({ url: REDIS_URL, prefix });
      await backend.heartbeat('me', 60_000, {});
      const soon = makeRecord({ owner: null, runAt: Date.now() + 300 });
      const later = makeRecord({ owner: null, runAt: Date.now() + 60_000 });
      await backend.write([soon, later]);
      const request = { instanceId: 'me', names: ['conformance.task'], limit: 10 };
      expect(await backend.claim(request)).toEqual([]);
      expect(await admin.zcard(`{${prefix.slice(0, -1)}}:delayed`)).toBe(2);
      expect(await backend.cancel(later.id)).toBe('cancelled');
      expect(await admin.zrange(`{${prefix.slice(0, -1)}}:delayed`, 0, -1)).toEqual([soon.id]);
      await sleep(350);
      expect((await backend.claim(request)).map((record) => record.id)).toEqual([soon.id]);
      expect(await admin.zcard(`{${prefix.slice(0, -1)}}:delayed`)).toBe(0);
    });

    it('claims work whose queue, owner and name hold the separators of its bucket name', async () => {
      const backend = await open({ url: REDIS_URL, prefix: newPrefix() });
      await backend.heartbeat('me', 60_000, {});
      const odd = { queue: '!1:2:q\n', name: '+3:-n', priority: -2 };
      const records = [
        makeRecord({ ...odd, owner: '!+5:ow:ner' }),
        makeRecord({ ...odd, owner: null, priority: 7 }),
        makeRecord({ ...odd, owner: 'ÉQUIPE:7', queue: 'default', priority: 0 }),
      ];
      await backend.write(records);
      const request = { instanceId: 'me', names: ['+3:-n'], limit: 10, excludeQueues: ['default'] };
      const claimed = await backend.claim({ ...request, deadOwners: ['!+5:ow:ner', 'ÉQUIPE:7'] });
      expect(claimed.map((record) => record.id)).toEqual([records[1]!.id, records[0]!.id]);
      const rest = await backend.claim({
        ...request,
        excludeQueues: [],
        onlyDeadOwners: true,
        deadOwners: ['ÉQUIPE:7'],
      });
      expect(rest.map((record) => record.id)).toEqual([records[2]!.id]);
    });

    it("keeps a queue's semaphore and token bucket apart, though core gives both the queue's key", async () => {
      const backend = await open({ url: REDIS_URL, prefix: newPrefix() });
      await backend.heartbeat('a', 60_000, {});
      expect(await backend.acquire('queue:email', 'a', 1, 5)).toBe(1);
      // A new bucket starts full, whatever the semaphore of the same queue did first.
      expect(await backend.takeTokens('queue:email', 10, { max: 10, perMs: 60_000 })).toBe(10);
      expect(await backend.acquire('queue:email', 'a', 10, 5)).toBe(4);
      await backend.release('queue:email', 'a', 0);
      await backend.release('queue:email', 'a', 5);
      expect(await backend.acquire('queue:email', 'a', 10, 5)).toBe(5);
    });

    it('answers every new call in one round trip, and refuses it before open() and after close()', async () => {
      const client = appClient();
      const backend = new RedisBackend({ client, prefix: newPrefix() });
      const calls: Array<() => Promise<unknown>> = [
        () => backend.heartbeat('a', 60_000, {}),
        () => backend.getMany(['x', 'y']),
        () => backend.cancel('x'),
        () => backend.aggregate({ since: 0, until: Date.now(), bucketMs: 60_000, durationSample: 10 }),
        () => backend.setQueueOverride('q', { paused: true }),
        () => backend.acquire('slots:q', 'a', 1, 2),
        () => backend.release('slots:q', 'a', 1),
        () => backend.takeTokens('rate:q', 1, { max: 5, perMs: 1000 }),
        () =>
          backend.purge({ status: 'success', finishedBefore: 1, queues: null, excludeQueues: [], limit: 5 }),
        () => backend.tryLock('retention', 'a', 1000),
        () => backend.notify(),
        () => backend.claim({ instanceId: 'a', names: ['x'], limit: 5, excludeQueues: ['q'] }),
      ];
      for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidStateError);
      await backend.open({ logger: quiet });
      backends.push(backend);
      const sent = recordCommands(client);
      for (const call of calls) {
        sent.length = 0;
        await call();
        expect(sent).toEqual([sent[0] === 'publish' ? 'publish' : 'evalsha']);
      }
      await backend.close();
      for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidStateError);
    });
  });

  it('survives its connection being killed mid-run: calls fail or reconnect, then succeed', async () => {
    const backend = await open({
      url: REDIS_URL,
      prefix: newPrefix(),
      redis: { connectionName: 'errand-kill-test' },
    });
    const client = backend.client as Redis;
    const firstId = Number(await client.client('ID'));
    const written: TaskRecord[] = [];
    const outcomes: PromiseSettledResult<unknown>[] = [];
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: 50 }, () => makeRecord({ status: 'success' }));
      const connectionId = await client.client('ID');
      const pending = [
        backend.write(batch),
        backend.query(normalizeQuery({ limit: 20 })),
        backend.heartbeat('i', 5000, {}),
      ];
      // Killed while those calls are in flight.
      if (round % 5 === 2) await admin.client('KILL', 'ID', String(connectionId));
      const settled = await Promise.allSettled(pending);
      outcomes.push(...settled);
      if (settled[0]!.status === 'fulfilled') written.push(...batch);
      else {
        // The caller retries, as the manager's flush does.
        await waitFor(
          () =>
            backend.write(batch).then(
              () => true,
              () => false,
            ),
          10_000,
          'a retried write to succeed',
        );
        written.push(...batch);
      }
    }
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(BackendError);
    }
    expect(Number(await client.client('ID'))).not.toBe(firstId);
    expect((await backend.counts(normalizeQuery())).success).toBe(written.length);
  });

  it('a durable manager rides out a Redis outage: tasks finish, health recovers, everything is stored', async () => {
    const prefix = newPrefix();
    const { user, url } = await restrictedUser(prefix);
    const backend = new RedisBackend({ url, prefix });
    const reader = await open({ url: REDIS_URL, prefix });
    const manager = new TaskManager({
      backend,
      durability: 'durable',
      concurrency: 16,
      instanceId: 'outage',
      leaseTtl: 2000,
      takeoverInterval: 500,
      snapshotInterval: 200,
      logger: false,
    });
    managers.push(manager);
    const health: boolean[] = [];
    const backendErrors: Error[] = [];
    manager.on('backendError', (error) => backendErrors.push(error));
    const job = manager.define('job', async (ctx, n: number) => {
      ctx.log('working', { n });
      await sleep(100 + (n % 7) * 40);
      return n * 2;
    });
    await manager.start();
    const ids = await Promise.all(Array.from({ length: 64 }, (_, n) => job.enqueue([n])));
    const watcher = setInterval(() => health.push(manager.stats().backend!.healthy), 20);
    try {
      // The outage: the user may no longer log in and its connection is killed.
      const connectionId = Number(await (backend.client as Redis).client('ID'));
      await admin.acl('SETUSER', user, 'off');
      await admin.client('KILL', 'ID', String(connectionId));
      await waitFor(
        () => manager.stats().backend?.healthy === false,
        10_000,
        'the manager to see the outage',
      );
      // Durable enqueues are refused while the store is down, and nothing crashes.
      await expect(job.enqueue([1000])).rejects.toBeInstanceOf(BackendError);
      await sleep(500);
      await admin.acl('SETUSER', user, 'on');
      await waitFor(() => manager.stats().backend?.healthy === true, 20_000, 'the manager to recover');
      await waitFor(
        async () => (await reader.counts(normalizeQuery({ name: 'job' }))).success === ids.length,
        20_000,
        'every task to be stored as finished',
      );
    } finally {
      clearInterval(watcher);
    }
    expect(health).toContain(false);
    expect(health.at(-1)).toBe(true);
    expect(backendErrors.length).toBeGreaterThan(0);
    await manager.stop({ timeout: 5000 });
    for (const [n, id] of ids.entries()) {
      expect(await reader.get(id)).toMatchObject({ status: 'success', result: n * 2, owner: 'outage' });
    }
    expect(await reader.counts(normalizeQuery())).toMatchObject({
      success: ids.length,
      pending: 0,
      running: 0,
    });
  });

  // Restarts the shared Redis (losing every key on it): CI or an explicit opt-in only.
  it.skipIf(!restartAllowed)(
    'a snapshot-mode manager survives a Redis restart and its flushes resume',
    async () => {
      const prefix = newPrefix();
      const reader = await open({ url: REDIS_URL, prefix });
      const manager = new TaskManager({
        backend: new RedisBackend({ url: REDIS_URL, prefix }),
        durability: 'snapshot',
        snapshotInterval: 200,
        concurrency: 8,
        instanceId: 'restart',
        leaseTtl: 2000,
        takeoverInterval: 500,
        logger: false,
      });
      managers.push(manager);
      const job = manager.define('job', async (_ctx, n: number) => {
        await sleep(50);
        return n;
      });
      await manager.start();
      const before = await Promise.all(Array.from({ length: 10 }, (_, n) => job.enqueue([n])));
      await waitFor(
        async () => (await reader.counts(normalizeQuery())).success === before.length,
        10_000,
        'the first tasks to be flushed',
      );

      // Tasks keep being enqueued and finishing while Redis goes away.
      const during: string[] = [];
      let enqueuing = true;
      const producer = (async () => {
        let n = 100;
        while (enqueuing) {
          during.push(await job.enqueue([n++]));
          await sleep(25);
        }
      })();
      execFileSync('redis-cli', ['-p', '6379', 'shutdown', 'nosave']);
      await sleep(300);
      execFileSync('redis-server', [
        '--daemonize',
        'yes',
        '--bind',
        '127.0.0.1',
        '-::1',
        '--port',
        '6379',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        '/var/lib/redis',
        '--logfile',
        '/var/log/redis/ci.log',
      ]);
      await waitFor(
        () => spawnSync('redis-cli', ['-p', '6379', 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG',
        20_000,
        'Redis to answer PING again',
      );
      await sleep(300);
      enqueuing = false;
      await producer;
      const after = await Promise.all(Array.from({ length: 10 }, (_, n) => job.enqueue([200 + n])));

      await waitFor(
        async () => {
          const stored = await Promise.all(
            [...during, ...after].map((id) => reader.get(id).catch(() => null)),
          );
          return stored.every((record) => record?.status === 'success');
        },
        30_000,
        'the tasks that finished during and after the restart to be flushed',
      );
      expect(manager.stats().backend?.healthy).toBe(true);
      expect(manager.stats().state).toBe('running');
      // Without AOF or RDB, what Redis held before the restart is gone (see the README).
      expect(await reader.get(before[0]!)).toBeNull();
      await manager.stop({ timeout: 5000 });
    },
    90_000,
  );
});
