import { normalizeQuery, type TaskRecord } from '@errand/core';
import { makeRecord, requireService } from '@errand/core/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisBackend } from '../src/index.js';
import { dropPrefix, probeRedis, REDIS_URL, randomPrefix, START_COMMAND } from './redis-service.js';

const available = await requireService('redis', probeRedis, START_COMMAND);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

// A second write of the same task sends only what changed since the first: these check
// that the store then holds exactly what a whole write would, and that a record someone else
// changed in between is sent whole (so fencing and cancel requests work as before).
describe.skipIf(!available)('redis backend: writes of changed fields only', () => {
  const prefixes: string[] = [];
  const backends: RedisBackend[] = [];
  const clients: Redis[] = [];
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });
  afterAll(async () => {
    await Promise.all(prefixes.map((prefix) => dropPrefix(prefix)));
    for (const client of clients) client.disconnect();
  });

  /** Two backends on one prefix (two instances), and the values each call sent. */
  async function pair(): Promise<{ a: RedisBackend; b: RedisBackend; sent: string[][] }> {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const client = new Redis(REDIS_URL);
    clients.push(client);
    const sent: string[][] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((...args: Parameters<typeof send>) => {
      sent.push(args[0].args.map(String));
      return send(...args);
    }) as typeof client.sendCommand;
    const [a, b] = [new RedisBackend({ client, prefix }), new RedisBackend({ url: REDIS_URL, prefix })];
    for (const backend of [a, b]) {
      await backend.open({ logger: quiet });
      await backend.heartbeat(backend === a ? 'instance-a' : 'instance-b', 60_000, {});
      backends.push(backend);
    }
    return { a, b, sent };
  }

  function start(record: TaskRecord): TaskRecord {
    return Object.assign(record, { status: 'running' as const, attempt: 1, startedAt: record.createdAt + 1 });
  }

  it('stores a start and a finish exactly as whole writes would, sending only the changes', async () => {
    const { a, b, sent } = await pair();
    const quick = start(makeRecord({ args: [{ big: 'x'.repeat(2000) }], tags: { k: 'v' } }));
    await a.write([quick]);
    const whole = sent.at(-1)!;
    Object.assign(quick, { status: 'success', finishedAt: quick.createdAt + 9, duration: 8 });
    // Core writes a copy of the record each time: the patch goes by task id.
    expect(await a.write([structuredClone(quick)])).toEqual({ conflicts: [], fenced: [] });
    // The body (arguments included) did not change: the finish sends a few fields, not the body.
    const patch = sent.at(-1)!;
    expect(patch.length).toBeLessThan(whole.length);
    expect(patch.join('').length).toBeLessThan(whole.join('').length / 5);
    expect(patch).not.toContain('body');
    expect(await b.get(quick.id)).toEqual(quick);
    // Fields set, changed and cleared through a retry: the store matches the record at each step.
    const record = start(makeRecord({ error: 'Before' }));
    await a.write([record]);
    Object.assign(record, { status: 'pending', error: 'Boom', stack: 'at x', runAt: record.runAt + 5 });
    await a.write([record]);
    expect(await b.get(record.id)).toEqual(record);
    Object.assign(start(record), { attempt: 2, error: null, stack: null, result: { ok: true } });
    record.logs = [{ at: record.createdAt + 2, message: 'done' }];
    await a.write([record]);
    expect(await b.get(record.id)).toEqual(record);
    expect(await b.query(normalizeQuery({ errorContains: 'boom' }))).toEqual([]);
    expect(await b.query(normalizeQuery({ errorContains: 'before' }))).toEqual([]);
  });

  it('sends whole a record cancelled, taken over or deleted since its last write', async () => {
    const { a, b, sent } = await pair();
    const [cancelled, taken, purged] = [
      start(makeRecord()),
      start(makeRecord({ name: 'taken' })),
      start(makeRecord()),
    ] as const;
    await a.write([cancelled, taken, purged]);
    expect(await b.cancel(cancelled.id)).toBe('requested');
    // instance-a is named dead by the claimer: its running task is taken (interrupted, owned by b).
    const claimed = await b.claim({
      instanceId: 'instance-b',
      names: ['taken'],
      limit: 10,
      deadOwners: ['instance-a'],
    });
    expect(claimed.map((r) => r.id)).toEqual([taken.id]);
    // Deleted behind the writer's back (as a purge would once it is finished).
    await clients[0]!.del(`{${prefixes.at(-1)!.replace(/:$/, '')}}:task:${purged.id}`);
    const calls = sent.length;
    for (const record of [cancelled, taken, purged]) record.progress = 0.5;
    const result = await a.write([cancelled, taken, purged]);
    // The patches were answered stale and the records sent whole: the usual rules applied to them.
    expect(sent.length - calls).toBe(2);
    expect(result).toEqual({ conflicts: [], fenced: [taken.id] });
    expect(await b.get(cancelled.id)).toEqual({ ...cancelled, cancelRequested: true });
    expect((await b.get(taken.id))?.owner).toBe('instance-b');
    expect(await b.get(purged.id)).toEqual(purged);
  });
});
