import { type ConformanceTarget, makeRecord } from './fixtures.js';
import { useStore } from './store-harness.js';
import { suite, type TestApi } from './test-api.js';

/** `aggregate()`: what the dashboard's charts and the health check read from the store. */
export function aggregateCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect } = t;
  suite(t, target.skip)(`${target.name}: aggregates`, () => {
    const h = useStore(target, t);

    it('counts finished tasks per bucket and status (not one awaiting takeover), samples recent durations, finds the oldest pending', async () => {
      const backend = await h.connect();
      const t0 = 1_800_000_000_000;
      const minute = 60_000;
      const finished = (
        name: string,
        status: 'success' | 'failed' | 'cancelled',
        at: number,
        duration: number,
      ) =>
        makeRecord({
          name,
          status,
          createdAt: at - duration - 5,
          startedAt: at - duration,
          finishedAt: at,
          duration,
        });
      await backend.write([
        finished('a', 'success', t0 + 10, 100),
        finished('a', 'success', t0 + 20, 300),
        finished('b', 'failed', t0 + 30, 50),
        finished('a', 'success', t0 + minute + 5, 200),
        finished('b', 'cancelled', t0 + minute + 6, 7),
        finished('a', 'success', t0 + 2 * minute, 999), // outside [since, until)
        finished('a', 'success', t0 - 1, 999), // before since
        makeRecord({ name: 'a', status: 'pending', createdAt: t0 - 5 * minute }),
        makeRecord({ name: 'b', status: 'pending', createdAt: t0 - 3 * minute }),
        makeRecord({ name: 'a', status: 'running', createdAt: t0 - 9 * minute, startedAt: t0 }),
        // Waiting for another instance to take it over: not finished, so not counted.
        makeRecord({
          name: 'b',
          status: 'interrupted',
          requeueOnInterrupt: true,
          createdAt: t0 - minute,
          finishedAt: t0 + 40,
        }),
      ]);
      const result = await backend.aggregate({
        since: t0,
        until: t0 + 2 * minute,
        bucketMs: minute,
        durationSample: 3,
      });
      expect(result.finished).toEqual([
        { start: t0, status: 'failed', count: 1 },
        { start: t0, status: 'success', count: 2 },
        { start: t0 + minute, status: 'cancelled', count: 1 },
        { start: t0 + minute, status: 'success', count: 1 },
      ]);
      // Successes only, the most recently finished first, at most durationSample.
      expect(result.durations).toEqual([
        { name: 'a', duration: 200 },
        { name: 'a', duration: 300 },
        { name: 'a', duration: 100 },
      ]);
      expect(result.oldestPendingAt).toBe(t0 - 5 * minute);
      const empty = await backend.aggregate({ since: 0, until: 1, bucketMs: minute, durationSample: 10 });
      expect(empty).toEqual({ finished: [], durations: [], oldestPendingAt: t0 - 5 * minute });
    });
  });
}
