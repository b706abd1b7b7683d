import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, MemoryBackend, type SnapshotBackend, TaskManager } from '../src/index.js';
import { waitForIdle } from '../src/testing/index.js';

const managers: TaskManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 }).catch(() => {})));
});

/** A manager whose `charge` task fails until `healthy` is set, and whose `audit` task always succeeds. */
async function setup(backend: SnapshotBackend | undefined) {
  const state = { healthy: false, calls: new Map<string, number>() };
  const manager = new TaskManager({ logger: false, backend });
  managers.push(manager);
  const charge = manager.define(
    'charge',
    async (ctx, cents: number) => {
      state.calls.set(ctx.id, (state.calls.get(ctx.id) ?? 0) + 1);
      ctx.log(`attempt ${ctx.attempt} charging ${cents}`);
      if (!state.healthy) throw new Error(`card declined (${cents})`);
      return cents;
    },
    { retries: 1, retryDelay: 1 },
  );
  const audit = manager.define('audit', async () => 'ok');
  await manager.start();
  return { manager, charge, audit, state };
}

for (const [label, backend] of [
  ['in memory', () => undefined],
  ['with a MemoryBackend', () => new MemoryBackend()],
] as const) {
  describe(`dead letters ${label}`, () => {
    it('lists tasks that failed their last attempt, newest first, filtered and paged', async () => {
      const { manager, charge, audit } = await setup(backend());
      const failed = [];
      for (let i = 0; i < 3; i++) failed.push(await charge.enqueue([i]));
      await audit.enqueue([]);
      await waitForIdle(manager, 5000);
      const page = await manager.deadLetters({ limit: 2 });
      expect(page.records.map((r) => r.id)).toEqual([failed[2], failed[1]]);
      expect(page.records.every((r) => r.status === 'failed' && r.attempt === 2)).toBe(true);
      const rest = await manager.deadLetters({ limit: 2, cursor: page.nextCursor! });
      expect(rest.records.map((r) => r.id)).toEqual([failed[0]]);
      expect((await manager.deadLetters({ name: 'audit' })).records).toEqual([]);
      expect((await manager.deadLetters({ errorContains: 'DECLINED (1)' })).records.map((r) => r.id)).toEqual(
        [failed[1]],
      );
    });

    it('replays by id: same id, fresh attempts, earlier attempts kept, who and when recorded', async () => {
      const { manager, charge, state } = await setup(backend());
      const id = await charge.enqueue([500]);
      await waitForIdle(manager, 5000);
      state.healthy = true;
      const before = Date.now();
      expect(await manager.replay([id], { by: 'ops@example.com' })).toEqual({ replayed: 1, skipped: [] });
      expect(await manager.result(id)).toBe(500);
      const record = (await manager.get(id))!;
      expect(record).toMatchObject({ status: 'success', attempt: 1, error: null });
      expect(state.calls.get(id)).toBe(3);
      const messages = record.logs.map((line) => line.message);
      expect(messages).toEqual([
        'attempt 1 charging 500',
        'attempt 1 of 2 ended: card declined (500); runs again in 1 ms',
        'attempt 2 charging 500',
        'retried manually after failed',
        'replayed from the dead letters by ops@example.com',
        'attempt 1 charging 500',
      ]);
      const note = record.logs[4]!;
      expect(note.fields).toMatchObject({
        replayedBy: 'ops@example.com',
        previousAttempts: 2,
        previousError: 'card declined (500)',
      });
      expect(Date.parse(note.fields!.replayedAt as string)).toBeGreaterThanOrEqual(before - 1);
      expect(record.tags.replayedBy).toBe('ops@example.com');
      expect(
        (await manager.query({ tags: { replayedBy: 'ops@example.com' } })).records.map((r) => r.id),
      ).toEqual([id]);
    });

    it('replays in bulk by filter, and skips what is not a dead letter, saying why', async () => {
      const { manager, charge, audit, state } = await setup(backend());
      const ids = [];
      for (let i = 0; i < 25; i++) ids.push(await charge.enqueue([i]));
      const ok = await audit.enqueue([]);
      await waitForIdle(manager, 5000);
      state.healthy = true;
      const result = await manager.replay({ name: 'charge' });
      expect(result).toEqual({ replayed: 25, skipped: [] });
      await waitForIdle(manager, 5000);
      const succeeded = await manager.query({ name: 'charge', status: 'success', limit: 100 });
      expect(succeeded.records.map((r) => r.id).sort()).toEqual([...ids].sort());
      expect((await manager.get(ids[7]!))!.tags.replayedBy).toBe(manager.instanceId);
      const again = await manager.replay([ids[0]!, ok, 'no-such-id']);
      expect(again.replayed).toBe(0);
      expect(again.skipped).toEqual([
        { id: ids[0], reason: 'it is success, not failed' },
        { id: ok, reason: 'it is success, not failed' },
        { id: 'no-such-id', reason: 'unknown task' },
      ]);
      expect((await manager.deadLetters()).records).toEqual([]);
    });

    it('checks its options', async () => {
      const { manager } = await setup(backend());
      await expect(manager.replay([], { by: '' })).rejects.toThrow(InvalidOptionError);
      await expect(manager.replay({}, { max: 0 })).rejects.toThrow(InvalidOptionError);
    });
  });
}
