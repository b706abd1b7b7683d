import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChaosReport, runProcessChaos } from './chaos.js';
import type { ConformanceStore, ConformanceTarget } from './fixtures.js';
import { runTickChaos } from './tick-chaos.js';

const LEASE_TTL = 2000;
const TAKEOVER_INTERVAL = 250;

/** What every chaos run must show: nothing accepted is lost, nothing runs twice. */
function expectNothingLostNothingDoubled(report: ChaosReport): void {
  expect(report.accepted.size).toBeGreaterThan(0);
  for (const id of report.accepted) {
    const record = report.records.get(id);
    expect(record, `accepted task ${id} is stored`).toBeDefined();
    expect(['success', 'interrupted'], `task ${id} is ${record!.status}`).toContain(record!.status);
  }
  for (const record of report.records.values()) {
    expect(['success', 'interrupted'], `task ${record.id} finished`).toContain(record.status);
    const runs = report.runs.get(record.id) ?? 0;
    if (record.status === 'success') expect(runs, `task ${record.id} ran`).toBeGreaterThanOrEqual(1);
    if (record.status === 'interrupted') {
      // Only a task the victim was running is interrupted, and only one that may not run twice.
      expect(record.name).toBe('chaos.plain');
      expect(record.error).toContain(report.victimId);
      // 0 when the kill fell between storing `running` and calling the function.
      expect(runs).toBeLessThanOrEqual(1);
    }
    if (runs > 1) {
      // A second attempt only for work marked requeueOnInterrupt that the victim was running.
      expect(record.name, `task ${record.id} ran ${runs} times`).toBe('chaos.requeue');
      expect(runs).toBe(2);
    }
  }
  for (const [key, ids] of report.idsByKey) expect(ids.size, `key ${key} ran under ${[...ids]}`).toBe(1);
}

/**
 * Cases with real separate processes; they run for targets whose stores say
 * how a child process builds the backend (`processBackend`).
 */
export function processCases(target: ConformanceTarget): void {
  if (target.multiProcess === false) return;
  describe.skipIf(target.skip === true)(`${target.name}: separate processes and SIGKILL`, () => {
    let store: ConformanceStore;

    beforeEach(async () => {
      store = await target.setup();
      if (!store.processBackend) {
        throw new Error(
          `${target.name}: setup() must return processBackend, or the target must say multiProcess: false`,
        );
      }
    });

    afterEach(async () => {
      await store.teardown();
    });

    it('3 processes, 3000 tasks, one SIGKILLed: nothing lost, nothing run twice, takeover without restart', async () => {
      const report = await runProcessChaos({
        backend: store.processBackend!,
        connect: () => store.connect(),
        processes: 3,
        tasks: 3000,
        leaseTtl: LEASE_TTL,
        takeoverInterval: TAKEOVER_INTERVAL,
      });
      // Every key is enqueued by two processes, so 3000 enqueues are 1500 distinct tasks.
      expect(report.accepted.size).toBe(1500);
      expectNothingLostNothingDoubled(report);
      expect(report.takeoverMs).toBeGreaterThan(0);
      expect(report.takeoverMs).toBeLessThan(LEASE_TTL + TAKEOVER_INTERVAL + 2000);
    }, 120_000);

    it('a durable process killed with SIGKILL loses no accepted task: the next process recovers them', async () => {
      const report = await runProcessChaos({
        backend: store.processBackend!,
        connect: () => store.connect(),
        processes: 1,
        tasks: 600,
        // No key repeats here, so accepted enqueues and distinct tasks are the same count.
        keyModulo: 600,
        killAfterAccepted: 300,
        leaseTtl: LEASE_TTL,
        takeoverInterval: TAKEOVER_INTERVAL,
      });
      expect(report.accepted.size).toBeGreaterThanOrEqual(300);
      expectNothingLostNothingDoubled(report);
    }, 120_000);

    it('3 processes fire a 1-second job for 60+ ticks while one is SIGKILLed: every tick runs exactly once', async (context) => {
      if (!target.schedulerModule || target.schedules === false) {
        return context.skip('the target gives no schedulerModule');
      }
      const report = await runTickChaos({
        backend: store.processBackend!,
        schedulerModule: target.schedulerModule,
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
