import { randomBytes } from 'node:crypto';
import { TaskManager } from '@errand/core';
import { Scheduler } from '@errand/scheduler';
import { afterEach, describe, expect, it } from 'vitest';
import { mysqlTarget, postgresTarget, redisTarget, type StoreUnderTest, sqlite } from './stores.js';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const opened: StoreUnderTest[] = [];
const managers: TaskManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
  await Promise.all(opened.splice(0).map((store) => store.teardown()));
});

for (const target of [sqlite, postgresTarget, mysqlTarget, redisTarget]) {
  describe(`encryption at rest on ${target.name}`, () => {
    it('never lets a plain argument, result, log line or job argument reach the store', async () => {
      const store = await target.open();
      opened.push(store);
      // Distinct markers, so a failure says which field leaked.
      const secret = (field: string) => `secret-${field}-${randomBytes(4).toString('hex')}`;
      const [arg, logged, returned, jobArg, errorText] = ['arg', 'log', 'result', 'job', 'error'].map(secret);
      const clock = { now: Date.UTC(2030, 0, 1) };
      const manager = new TaskManager({
        logger: false,
        backend: store.backend(),
        durability: 'durable',
        encryption: { keys: { k1: K1 }, current: 'k1', fields: ['args', 'result', 'logs', 'error'] },
      });
      managers.push(manager);
      const scheduler = new Scheduler(manager, { fire: false, now: () => clock.now });
      manager.define('charge', async (ctx, card: string) => {
        ctx.log(`charging ${logged}`, { card });
        if (card === 'fail') throw new Error(errorText);
        return { receipt: returned };
      });
      scheduler.add({ id: 'nightly', task: 'charge', every: '1m', args: [jobArg] });
      await manager.start();
      const ok = await manager.enqueue('charge', [arg]);
      const failed = await manager.enqueue('charge', ['fail']);
      await manager.result(ok);
      await manager.result(failed).catch(() => {});
      clock.now += 61_000;
      await scheduler.tick(); // stores the run through claimTick
      const run = (await manager.query({ tags: { job: 'nightly' } })).records[0]!;
      await manager.result(run.id);
      await manager.stop();

      const raw = await store.raw();
      expect(raw).toContain('errand:v1:k1:');
      for (const value of [arg, logged, returned, jobArg, errorText]) expect(raw).not.toContain(value);

      const reader = new TaskManager({
        logger: false,
        backend: store.backend(),
        encryption: { keys: { k2: K2, k1: K1 }, current: 'k2', fields: ['args', 'result', 'logs', 'error'] },
      });
      managers.push(reader);
      reader.define('charge', async () => {});
      // Declaring the job again stores its arguments sealed with the new current key.
      new Scheduler(reader, { fire: false, now: () => clock.now }).add({
        id: 'nightly',
        task: 'charge',
        every: '1m',
        args: [jobArg],
      });
      await reader.start();
      expect(await reader.get(ok)).toMatchObject({ args: [arg], result: { receipt: returned } });
      expect((await reader.get(ok))!.logs[0]).toMatchObject({
        message: `charging ${logged}`,
        fields: { card: arg },
      });
      expect((await reader.get(failed))!.error).toBe(errorText);
      expect((await reader.get(run.id))!.args).toEqual([jobArg]);
      await expect(reader.query({ errorContains: 'secret' })).rejects.toMatchObject({
        code: 'ERR_QUERY_REFUSED',
      });

      // Rotation: everything finished moves to k2, after which k1 can go.
      const report = await reader.reencrypt({ batchSize: 2, pauseMs: 0 });
      expect(report).toMatchObject({ rewritten: 3, skipped: 0, unfinished: 0, jobs: 0 });
      await reader.stop();
      await store.compact?.();
      const rotated = await store.raw();
      expect(rotated).not.toContain('errand:v1:k1:');
      expect(rotated).toContain('errand:v1:k2:');
      const withoutK1 = new TaskManager({
        logger: false,
        backend: store.backend(),
        encryption: { keys: { k2: K2 }, current: 'k2' },
      });
      managers.push(withoutK1);
      await withoutK1.start();
      expect((await withoutK1.get(ok))!.args).toEqual([arg]);
    });
  });
}
