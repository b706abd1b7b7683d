import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendError,
  DecryptionError,
  EncryptedBackend,
  type EncryptionOptions,
  InvalidOptionError,
  MemoryBackend,
  QueryRefusedError,
  TaskManager,
  type TaskRecord,
} from '../src/index.js';
import { makeRecord, waitFor, waitForIdle } from '../src/testing/index.js';

const managers: TaskManager[] = [];
const key = () => randomBytes(32).toString('base64');
const K1 = key();
const K2 = key();
const SECRET = 'ada@example.com-4111-1111-1111-1111';

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
});

async function start(store: MemoryBackend, encryption: EncryptionOptions) {
  const manager = new TaskManager({ logger: false, backend: store, encryption });
  managers.push(manager);
  const charge = manager.define('charge', async (ctx, card: string) => {
    ctx.log(`charging ${card}`, { card });
    if (card.startsWith('fail')) throw new Error(`declined ${card}`);
    return { receipt: `paid with ${card}` };
  });
  await manager.start();
  return { manager, charge };
}

/** Every stored record, as the store holds it (no decryption). */
async function raw(store: MemoryBackend): Promise<TaskRecord[]> {
  return store.query({
    statuses: null,
    names: null,
    since: null,
    until: null,
    idempotencyKey: null,
    errorContains: null,
    queues: null,
    tags: null,
    limit: 1000,
    after: null,
  });
}

describe('encryption at rest (MemoryBackend)', () => {
  it('stores args, results and logs only as ciphertext, and reads them back in clear', async () => {
    const store = new MemoryBackend();
    const { manager, charge } = await start(store, { keys: { k1: K1 }, current: 'k1' });
    const id = await charge.enqueue([SECRET]);
    expect(await manager.result(id)).toEqual({ receipt: `paid with ${SECRET}` });
    await manager.stop();
    const [stored] = await raw(store);
    expect(JSON.stringify(stored)).not.toContain('ada@example.com');
    expect(stored!.args).toEqual([{ $encrypted: expect.stringMatching(/^errand:v1:k1:/) }]);
    expect(stored!.result).toEqual({ $encrypted: expect.stringMatching(/^errand:v1:k1:/) });
    expect(stored!.logs).toEqual([
      { at: expect.any(Number), message: 'encrypted', fields: { $encrypted: expect.any(String) } },
    ]);
    expect(stored).toMatchObject({ id, name: 'charge', status: 'success' }); // the rest stays plain

    const { manager: reader } = await start(store, { keys: { k1: K1 }, current: 'k1' });
    const read = await reader.get(id);
    expect(read).toMatchObject({ args: [SECRET], result: { receipt: `paid with ${SECRET}` } });
    expect(read!.logs).toEqual([
      { at: expect.any(Number), message: `charging ${SECRET}`, fields: { card: SECRET } },
    ]);
    expect((await reader.query({ name: 'charge' })).records[0]!.args).toEqual([SECRET]);
  });

  it('keeps records of an older key readable, and reencrypt() moves history to the current key', async () => {
    const store = new MemoryBackend();
    const first = await start(store, { keys: { k1: K1 }, current: 'k1' });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await first.charge.enqueue([`${SECRET}-${i}`]));
    await waitForIdle(first.manager, 5000);
    await first.manager.stop();

    const second = await start(store, { keys: { k2: K2, k1: K1 }, current: 'k2' });
    const newer = await second.charge.enqueue([`${SECRET}-new`]);
    await second.manager.result(newer);
    await waitFor(async () => (await raw(store)).length === 6, 5000, 'the new record to be stored');
    expect((await second.manager.get(ids[0]!))!.args).toEqual([`${SECRET}-0`]);
    expect((await second.manager.get(newer))!.args).toEqual([`${SECRET}-new`]);
    const keysInStore = async () =>
      (await raw(store)).map((record) => /errand:v1:(\w+):/.exec(JSON.stringify(record.args))![1]).sort();
    expect(await keysInStore()).toEqual(['k1', 'k1', 'k1', 'k1', 'k1', 'k2']);

    expect(await second.manager.reencrypt({ batchSize: 2, pauseMs: 0 })).toEqual({
      scanned: 6,
      rewritten: 5,
      skipped: 0,
      unfinished: 0,
      jobs: 0,
    });
    expect(await keysInStore()).toEqual(['k2', 'k2', 'k2', 'k2', 'k2', 'k2']);
    await second.manager.stop();

    // k1 can go now: nothing needs it.
    const third = await start(store, { keys: { k2: K2 }, current: 'k2' });
    expect((await third.manager.get(ids[4]!))!.result).toEqual({ receipt: `paid with ${SECRET}-4` });
  });

  it('encrypts plain history written before encryption was turned on', async () => {
    const store = new MemoryBackend();
    await store.write([
      makeRecord({ id: '01900000-0000-7000-8000-000000000001', args: [SECRET], status: 'success' }),
    ]);
    const { manager } = await start(store, { keys: { k1: K1 }, current: 'k1' });
    expect((await manager.get('01900000-0000-7000-8000-000000000001'))!.args).toEqual([SECRET]);
    expect((await manager.reencrypt()).rewritten).toBe(1);
    expect(JSON.stringify(await raw(store))).not.toContain(SECRET);
  });

  it('says which key is missing, and refuses a value moved to another record', async () => {
    const store = new MemoryBackend();
    const first = await start(store, { keys: { k1: K1 }, current: 'k1' });
    const a = await first.charge.enqueue(['card-a']);
    const b = await first.charge.enqueue(['card-b']);
    await waitForIdle(first.manager, 5000);
    await first.manager.stop();

    // A manager without k1 refuses to start (it loads recent history), naming the key and the record.
    const withoutK1 = new TaskManager({
      logger: false,
      backend: store,
      encryption: { keys: { k2: K2 }, current: 'k2' },
    });
    const refused = await withoutK1.start().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BackendError);
    expect((refused as BackendError).cause).toBeInstanceOf(DecryptionError);
    expect((refused as BackendError).cause).toMatchObject({
      code: 'ERR_DECRYPT',
      keyId: 'k1',
      reason: 'unknown-key',
    });
    expect((refused as Error).message).toMatch(/key "k1", which is not in encryption.keys/);
    const direct = new EncryptedBackend(store, { keys: { k1: K1 }, current: 'k1' });
    await expect(
      new EncryptedBackend(store, { keys: { k2: K2 }, current: 'k2' }).get(a),
    ).rejects.toMatchObject({
      code: 'ERR_DECRYPT',
      taskId: a,
    });

    // Someone with write access to the store copies b's ciphertext into a.
    const [recordA, recordB] = await Promise.all([store.get(a), store.get(b)]);
    await store.write([{ ...recordA!, args: recordB!.args }]);
    await expect(direct.get(a)).rejects.toMatchObject({ code: 'ERR_DECRYPT', reason: 'tampered' });
    expect((await direct.get(b))!.args).toEqual(['card-b']);
  });

  it('refuses queries inside encrypted errors, and answers them when errors are plain', async () => {
    const store = new MemoryBackend();
    const sealed = await start(store, {
      keys: { k1: K1 },
      current: 'k1',
      fields: ['args', 'result', 'logs', 'error'],
    });
    const id = await sealed.charge.enqueue(['fail-4242']);
    await waitForIdle(sealed.manager, 5000);
    // The failure is written at once, but not in the same tick: wait for it in the raw store.
    await waitFor(async () => (await raw(store))[0]?.status === 'failed', 5000, 'the failure to be stored');
    const stored = (await raw(store))[0]!;
    expect(stored.error).toMatch(/^errand:v1:k1:/);
    expect(stored.stack).toMatch(/^errand:v1:k1:/);
    expect((await sealed.manager.get(id))!.error).toBe('declined fail-4242');
    const refused = await sealed.manager
      .query({ errorContains: 'declined' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QueryRefusedError);
    expect(refused).toMatchObject({ code: 'ERR_QUERY_REFUSED', field: 'errorContains' });
    await expect(sealed.manager.counts({ errorContains: 'x' })).rejects.toBeInstanceOf(QueryRefusedError);
    await expect(sealed.manager.deadLetters({ errorContains: 'x' })).rejects.toBeInstanceOf(
      QueryRefusedError,
    );
    expect((await sealed.manager.deadLetters()).records.map((r) => r.id)).toEqual([id]);
    await sealed.manager.stop();

    const plainErrors = await start(store, { keys: { k1: K1 }, current: 'k1' });
    const other = await plainErrors.charge.enqueue(['fail-1111']);
    await waitForIdle(plainErrors.manager, 5000);
    expect(
      (await plainErrors.manager.query({ errorContains: 'DECLINED fail-1111' })).records.map((r) => r.id),
    ).toEqual([other]);
  });

  it("encrypts the scheduler's tick tasks and job arguments", async () => {
    const store = new MemoryBackend();
    const backend = new EncryptedBackend(store, { keys: { k1: K1 }, current: 'k1' });
    const job = {
      id: 'nightly',
      taskName: 'charge',
      trigger: { kind: 'every' as const, intervalMs: 60_000, anchor: 0 },
      definitionHash: 'h',
      options: { args: [SECRET] },
      nextRunAt: 1000,
      lastRunAt: null,
      lastOutcome: null,
      paused: false,
      orphaned: false,
      activeRuns: [],
      updatedAt: 0,
    };
    expect((await backend.schedules!.register(job)).options.args).toEqual([SECRET]);
    const run = makeRecord({ id: '01900000-0000-7000-8000-0000000000aa', args: [SECRET] });
    const claim = await backend.schedules!.claimTick({
      jobId: 'nightly',
      expectedNextRunAt: 1000,
      nextRunAt: 61_000,
      activeRuns: [run.id],
      lastRunAt: 1000,
      lastOutcome: null,
      tasks: [run],
    });
    expect(claim.won).toBe(true);
    expect(JSON.stringify(await store.get(run.id))).not.toContain(SECRET);
    expect(JSON.stringify(await store.schedules.list())).not.toContain(SECRET);
    expect((await backend.get(run.id))!.args).toEqual([SECRET]);
    expect((await backend.schedules!.list())[0]!.options.args).toEqual([SECRET]);
    expect((await backend.schedules!.due(2_000_000, 10))[0]!.options.args).toEqual([SECRET]);
  });

  it('checks its options', () => {
    const store = new MemoryBackend();
    const make = (encryption: EncryptionOptions) =>
      new TaskManager({ logger: false, backend: store, encryption });
    expect(() => make({ keys: { k1: 'c2hvcnQ=' }, current: 'k1' })).toThrow(/32 bytes/);
    expect(() => make({ keys: { k1: K1 }, current: 'k2' })).toThrow(InvalidOptionError);
    expect(() => make({ keys: { 'a:b': K1 }, current: 'a:b' })).toThrow(InvalidOptionError);
    expect(() => make({ keys: { k1: K1 }, current: 'k1', fields: ['tags' as 'args'] })).toThrow(
      InvalidOptionError,
    );
    expect(() => make({ keys: { k1: K1 }, current: 'k1', fields: ['args', 'error'] })).toThrow(
      /"error" needs "logs" too/,
    );
    expect(() => new TaskManager({ encryption: { keys: { k1: K1 }, current: 'k1' } })).toThrow(
      /needs a backend/,
    );
  });
});
