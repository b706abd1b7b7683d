import { afterEach, expect, it } from 'vitest';
import { MemoryBackend, TaskManager, type TaskRecord, type WriteResult } from '../src/index.js';

/** A store whose every write takes 40 ms: a read that does not wait for writes due would miss them. */
class SlowWrites extends MemoryBackend {
  override async write(records: readonly TaskRecord[]): Promise<WriteResult> {
    await new Promise((resolve) => setTimeout(resolve, 40));
    return super.write(records);
  }
}

const managers: TaskManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop({ timeout: 0 })));
});

it('query() and counts() see the tasks this manager just finished, though their write is still in the air', async () => {
  const manager = new TaskManager({ logger: false, backend: new SlowWrites() });
  managers.push(manager);
  const echo = manager.define('echo', async (_ctx, n: number) => n);
  await manager.start();
  const finished = new Promise<string>((resolve) => manager.on('success', (record) => resolve(record.id)));
  const id = await echo.enqueue([1]);
  expect(await finished).toBe(id);
  const page = await manager.query({ status: 'success' });
  expect(page.records.map((record) => record.id)).toEqual([id]);
  expect((await manager.counts({ name: 'echo' })).success).toBe(1);
});
