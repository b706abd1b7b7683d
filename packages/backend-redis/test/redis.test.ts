import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  BackendError,
  InvalidOptionError,
  normalizeQuery,
  SchemaVersionError,
  TaskManager,
  type TaskManager as TaskManagerType,
  type TaskRecord,
  type TickClaim,
} from '@errand/core';
import { makeJob, makeRecord, requireService, sleep, waitFor } from '@errand/core/testing';
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
      expect(meta.version).toBe('2');
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
      expect(after.version).toBe('2');
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
      await admin.hset(`{${prefix.slice(0, -1)}}:meta`, 'version', '3');
      const backend = new RedisBackend({ url: REDIS_URL, prefix });
      const error = await backend.open({ logger: quiet }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect((error as Error).message).toMatch(/schema version 3, newer than 2/);
      expect(backend.client).toBeNull();
      expect(await admin.hget(`{${prefix.slice(0, -1)}}:meta`, 'version')).toBe('3');
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
    // This user may touch only `{stem}:*` and may not run KEYS or SCAN at all.
    const { url } = await restrictedUser(prefix, '-keys', '-scan');
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

  it('writes 10,000 records in well under a second, in one round trip', async () => {
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
      // Chunks of one batch go out as one MULTI ... EXEC: a single round trip.
      expect(sent.filter((name) => name === 'evalsha').length).toBe(5);
      expect(sent.filter((name) => name === 'exec').length).toBe(1);
    }
    console.info(`redis backend: 10,000 records written in ${best.toFixed(0)} ms`);
    expect(best).toBeLessThan(1000);
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
      expect(await schedules.claimTick(tick('a', 1000, { nextRunAt: null }))).toBe(true);
      expect(await dueIndex()).toEqual({ b: 2000, c: 1500 });
      // A job with no next run can never be claimed again.
      expect(await schedules.claimTick(tick('a', 1000))).toBe(false);
      expect(await schedules.claimTick(tick('c', 1500, { nextRunAt: 2500 }))).toBe(true);
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
      expect(await schedules.claimTick(tick('far', far - 2))).toBe(false);
      expect(await schedules.claimTick(tick('far', far, { nextRunAt: far }))).toBe(false);
      expect(await schedules.claimTick(tick('far', far - 1, { nextRunAt: far }))).toBe(true);
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
      expect(await schedules.claimTick(tick('nightly-report', 1000, { lastOutcome: 'missed', tasks }))).toBe(
        true,
      );
      expect(await backend.get(owned.id)).toEqual(owned);
      expect(await backend.get(tasks[1]!.id)).toBeNull();
      expect(await backend.get(missed.id)).toEqual(missed);
      expect(await admin.zscore(`{${prefix.slice(0, -1)}}:expiry`, missed.id)).toBe(
        String(missed.finishedAt! + 60_000),
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
        expect(results.filter(Boolean)).toHaveLength(1);
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

  it('retention also applies to records interrupted by a claim', async () => {
    const backend = await open({ url: REDIS_URL, prefix: newPrefix(), retention: 200 });
    const running = makeRecord({ status: 'running', owner: 'dead' });
    await backend.write([running]);
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
    const claimed = await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 100 });
    expect(claimed.map((record) => record.id).sort()).toEqual(dead.map((record) => record.id).sort());
    await backend.removeInstance('busy');
    expect(await backend.claim({ instanceId: 'me', names: ['conformance.task'], limit: 1000 })).toHaveLength(
      500,
    );
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
