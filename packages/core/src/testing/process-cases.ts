import { type ChaosReport, runProcessChaos } from './chaos.js';
import type { ConformanceStore, ConformanceTarget } from './fixtures.js';
import { runFleetChaos } from './fleet-chaos.js';
import { suite, type TestApi } from './test-api.js';

const LEASE_TTL = 2000;
const TAKEOVER_INTERVAL = 250;

/** What every chaos run must show: nothing accepted is lost, nothing runs twice. */
function expectNothingLostNothingDoubled(expect: TestApi['expect'], report: ChaosReport): void {
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
export function processCases(target: ConformanceTarget, t: TestApi): void {
  const { it, expect, beforeEach, afterEach } = t;
  if (!target.capabilities.multiProcess) return;
  suite(t, target.skip)(`${target.name}: separate processes and SIGKILL`, () => {
    let store: ConformanceStore;

    beforeEach(async () => {
      store = await target.setup();
      if (!store.processBackend) {
        throw new Error(
          `${target.name}: setup() must return processBackend, or its capabilities must say multiProcess: false`,
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
      expectNothingLostNothingDoubled(expect, report);
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
      expectNothingLostNothingDoubled(expect, report);
    }, 120_000);

    it('a restart on the same host after SIGKILL recovers at once, without waiting for the lease', async () => {
      // A lease of a minute: only knowing the predecessor is dead explains a quick recovery.
      const leaseTtl = 60_000;
      const report = await runProcessChaos({
        backend: store.processBackend!,
        connect: () => store.connect(),
        processes: 1,
        tasks: 300,
        keyModulo: 300,
        killAfterAccepted: 150,
        leaseTtl,
        takeoverInterval: TAKEOVER_INTERVAL,
      });
      expectNothingLostNothingDoubled(expect, report);
      expect(report.takeoverMs).toBeGreaterThan(0);
      expect(report.takeoverMs).toBeLessThan(15_000);
    }, 120_000);

    it('a producer process and two workers: one worker SIGKILLed, nothing lost, nothing done twice by the living', async () => {
      const report = await runFleetChaos({
        backend: store.processBackend!,
        connect: () => store.connect(),
        tasks: 3000,
        leaseTtl: LEASE_TTL,
      });
      expect(report.accepted.size).toBe(3000);
      for (const id of report.accepted) {
        const record = report.records.get(id);
        expect(record, `accepted task ${id} is stored`).toBeDefined();
        expect(['success', 'interrupted'], `task ${id} is ${record!.status}`).toContain(record!.status);
        const living = (report.completions.get(id) ?? []).filter((instance) => instance !== report.victimId);
        expect(living.length, `task ${id} completed by ${living}`).toBeLessThanOrEqual(1);
        if (record!.status === 'success')
          expect((report.completions.get(id) ?? []).length).toBeGreaterThanOrEqual(1);
        if (record!.status === 'interrupted') {
          // Only work the victim was running, and only work that may not run twice.
          expect(record!.name).toBe('fleet.plain');
          expect(report.starts.get(id)).toEqual([report.victimId]);
        }
      }
      // Both workers did work, and the survivor finished the rest.
      expect(report.workDone.get(report.victimId)).toBeGreaterThan(0);
      expect(report.workDone.get('worker-2')).toBeGreaterThan(0);
      expect(report.starts.get('producer')).toBeUndefined();
    }, 150_000);
  });
}
