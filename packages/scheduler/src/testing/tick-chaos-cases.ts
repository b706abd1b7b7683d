import { type ConformanceStore, type ConformanceTarget, suite, type TestApi } from '@errand/core/testing';
import { runTickChaos } from './tick-chaos.js';

/** Three real processes fire one job every second while one of them is SIGKILLed. */
export function tickChaosCases(target: ConformanceTarget, t: TestApi): void {
  if (!target.capabilities.multiProcess || !target.capabilities.schedules) return;
  const { it, expect, beforeEach, afterEach } = t;
  suite(t, target.skip)(`${target.name}: scheduler across processes and SIGKILL`, () => {
    let store: ConformanceStore;

    beforeEach(async () => {
      store = await target.setup();
      if (!store.processBackend) throw new Error(`${target.name}: setup() must return processBackend`);
    });

    afterEach(async () => {
      await store.teardown();
    });

    it('3 processes fire a 1-second job for 60+ ticks while one is SIGKILLed: every tick runs exactly once', async () => {
      const report = await runTickChaos({
        backend: store.processBackend!,
        connect: () => store.connect(),
        seconds: 64,
      });
      expect(report.window.length).toBeGreaterThanOrEqual(60);
      for (const tick of report.window) {
        const records = report.recordsByTick.get(tick) ?? [];
        const when = new Date(tick).toISOString();
        expect(
          records.map((record) => record.status),
          `tick ${when}`,
        ).toHaveLength(1);
        expect(['success', 'interrupted'], `tick ${when}`).toContain(records[0]!.status);
        expect(report.runsByTick.get(tick) ?? 0, `runs of tick ${when}`).toBeLessThanOrEqual(1);
        if (records[0]!.status === 'success')
          expect(report.runsByTick.get(tick), `runs of tick ${when}`).toBe(1);
      }
      for (const [tick, runs] of report.runsByTick)
        expect(runs, `runs of tick ${tick}`).toBeLessThanOrEqual(1);
    }, 150_000);
  });
}
