import { afterEach, expect, it } from 'vitest';
import { ATTEMPT_FIELD, endedAttempts, TaskManager } from '../src/index.js';

const managers: TaskManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 })));
});

it('keeps when each earlier attempt started and ended, where it ran and how it failed', async () => {
  const manager = new TaskManager({ logger: false, instanceId: 'web-1' });
  managers.push(manager);
  let calls = 0;
  const flaky = manager.define(
    'flaky',
    async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (calls < 5) throw new Error(`boom ${calls}`);
      return 'ok';
    },
    { retries: 2, retryDelay: 1 },
  );
  await manager.start();
  const id = await flaky.enqueue([]);
  await expect(manager.result(id, { timeout: 5000 })).rejects.toThrow('boom 3');
  const record = (await manager.get(id))!;
  expect(record).toMatchObject({ status: 'failed', attempt: 3, error: 'boom 3' });
  const earlier = endedAttempts(record);
  expect(earlier.map(({ number, instance, error }) => ({ number, instance, error }))).toEqual([
    { number: 1, instance: 'web-1', error: 'boom 1' },
    { number: 2, instance: 'web-1', error: 'boom 2' },
  ]);
  for (const attempt of earlier) {
    expect(attempt.startedAt).toBeTypeOf('number');
    expect(attempt.finishedAt - attempt.startedAt!).toBeGreaterThanOrEqual(4);
  }
  expect(earlier[1]!.startedAt!).toBeGreaterThanOrEqual(earlier[0]!.finishedAt);
  expect(record.startedAt!).toBeGreaterThanOrEqual(earlier[1]!.finishedAt);

  // A manual retry counts again from 1: only the new run's earlier attempts are listed.
  await manager.retry(id);
  expect(await manager.result(id, { timeout: 5000 })).toBe('ok');
  const again = (await manager.get(id))!;
  expect(again.attempt).toBe(2);
  expect(endedAttempts(again).map((attempt) => attempt.error)).toEqual(['boom 4']);
  expect(again.logs.filter((line) => line.fields?.[ATTEMPT_FIELD] !== undefined)).toHaveLength(3);
});
