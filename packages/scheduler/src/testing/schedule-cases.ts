import {
  normalizeQuery,
  type ScheduleStore,
  type SnapshotBackend,
  type StoredJob,
  type TickClaim,
} from '@errand/core';
import {
  type ConformanceStore,
  type ConformanceTarget,
  makeRecord,
  silentLogger,
  suite,
  type TestApi,
} from '@errand/core/testing';

/** A complete job with every field set; `overrides` replace fields. */
export function makeJob(overrides: Partial<StoredJob> = {}): StoredJob {
  return {
    id: 'nightly-report',
    taskName: 'reports.build',
    trigger: { kind: 'cron', expression: '0 2 * * *', timezone: 'Europe/Berlin' },
    definitionHash: 'hash-1',
    options: { args: ['full', { depth: 2 }], coalesce: true, maxInstances: 1, misfireGraceTime: null },
    nextRunAt: 1_800_000_000_000,
    lastRunAt: null,
    lastOutcome: null,
    paused: false,
    orphaned: false,
    activeRuns: [],
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}

function claim(overrides: Partial<TickClaim> & { jobId: string; expectedNextRunAt: number }): TickClaim {
  return {
    nextRunAt: overrides.expectedNextRunAt + 60_000,
    activeRuns: [],
    lastRunAt: overrides.expectedNextRunAt,
    lastOutcome: null,
    tasks: [],
    ...overrides,
  };
}

/** The `ScheduleStore` contract, for backends that expose `schedules`. */
export function scheduleCases(target: ConformanceTarget, t: TestApi): void {
  if (!target.capabilities.schedules) return;
  const { it, expect, beforeEach, afterEach } = t;
  suite(t, target.skip)(`${target.name}: schedule store`, () => {
    let store: ConformanceStore;
    const opened: SnapshotBackend[] = [];

    async function connect(): Promise<{ backend: SnapshotBackend; schedules: ScheduleStore }> {
      const backend = store.connect();
      await backend.open({ logger: silentLogger });
      opened.push(backend);
      if (!backend.schedules) {
        throw new Error(
          `${target.name}: backend.schedules is missing (or the target must say schedules: false)`,
        );
      }
      return { backend, schedules: backend.schedules };
    }

    beforeEach(async () => {
      store = await target.setup();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((backend) => backend.close()));
      await store.teardown();
    });

    it('round-trips every field of a job, for each kind of trigger', async () => {
      const { schedules } = await connect();
      const jobs = [
        makeJob({
          id: 'a-cron',
          lastRunAt: 1_799_999_000_000,
          lastOutcome: 'failed',
          activeRuns: ['r1', 'r2'],
        }),
        makeJob({
          id: 'b-every',
          trigger: { kind: 'every', intervalMs: 21_600_000, anchor: 1_700_000_000_123 },
          paused: true,
        }),
        makeJob({ id: 'c-at', trigger: { kind: 'at', at: 1_900_000_000_000 }, nextRunAt: null, options: {} }),
      ];
      for (const job of jobs) expect(await schedules.register(job)).toEqual(job);
      expect(await schedules.list()).toEqual(jobs);
      expect(await schedules.get('b-every')).toEqual(jobs[1]);
      expect(await schedules.get('missing')).toBeNull();
    });

    it('keeps the run state of an unchanged definition and replaces a changed one', async () => {
      const { schedules } = await connect();
      await schedules.register(
        makeJob({ nextRunAt: 1000, lastRunAt: 500, lastOutcome: 'success', paused: false }),
      );
      await schedules.setPaused('nightly-report', true);
      await schedules.markOrphans([]);
      // The same code starts again: the stored run state wins, the orphan flag clears.
      const again = await schedules.register(makeJob({ nextRunAt: 99_999 }));
      expect(again).toMatchObject({
        nextRunAt: 1000,
        lastRunAt: 500,
        lastOutcome: 'success',
        paused: true,
        orphaned: false,
      });
      // Changed code: new definition and next run; pause and history stay.
      const changed = makeJob({
        definitionHash: 'hash-2',
        trigger: { kind: 'cron', expression: '30 3 * * *', timezone: 'UTC' },
        options: { args: [], coalesce: false },
        taskName: 'reports.rebuild',
        nextRunAt: 5000,
      });
      expect(await schedules.register(changed)).toMatchObject({
        definitionHash: 'hash-2',
        trigger: changed.trigger,
        options: changed.options,
        taskName: 'reports.rebuild',
        nextRunAt: 5000,
        lastRunAt: 500,
        lastOutcome: 'success',
        paused: true,
      });
    });

    it('flags jobs no longer declared as orphans, pauses, resumes and removes', async () => {
      const { schedules } = await connect();
      await schedules.register(makeJob({ id: 'kept' }));
      await schedules.register(makeJob({ id: 'gone' }));
      await schedules.markOrphans(['kept']);
      expect((await schedules.get('gone'))?.orphaned).toBe(true);
      expect((await schedules.get('kept'))?.orphaned).toBe(false);
      expect(await schedules.setPaused('kept', true)).toBe(true);
      expect((await schedules.get('kept'))?.paused).toBe(true);
      expect(await schedules.setPaused('kept', false)).toBe(true);
      expect((await schedules.get('kept'))?.paused).toBe(false);
      expect(await schedules.setPaused('nope', true)).toBe(false);
      expect(await schedules.remove('gone')).toBe(true);
      expect(await schedules.remove('gone')).toBe(false);
      expect((await schedules.list()).map((job) => job.id)).toEqual(['kept']);
    });

    it('lists due jobs earliest first, leaving out paused, orphaned, finished and future ones', async () => {
      const { schedules } = await connect();
      await schedules.register(makeJob({ id: 'late', nextRunAt: 2000 }));
      await schedules.register(makeJob({ id: 'early', nextRunAt: 1000 }));
      await schedules.register(makeJob({ id: 'paused', nextRunAt: 1000, paused: true }));
      await schedules.register(makeJob({ id: 'done', nextRunAt: null }));
      await schedules.register(makeJob({ id: 'future', nextRunAt: 9000 }));
      await schedules.register(makeJob({ id: 'orphan', nextRunAt: 1000 }));
      await schedules.markOrphans(['late', 'early', 'paused', 'done', 'future']);
      expect((await schedules.due(5000, 10)).map((job) => job.id)).toEqual(['early', 'late']);
      expect((await schedules.due(5000, 1)).map((job) => job.id)).toEqual(['early']);
    });

    it('claims a tick with a compare-and-set and stores its tasks in the same step', async () => {
      const { backend, schedules } = await connect();
      await schedules.register(makeJob({ nextRunAt: 1000 }));
      const run = makeRecord({
        name: 'reports.build',
        idempotencyKey: 'sched:nightly-report:1000',
        tags: { job: 'nightly-report', trigger: 'schedule' },
      });
      const won = await schedules.claimTick(
        claim({
          jobId: 'nightly-report',
          expectedNextRunAt: 1000,
          nextRunAt: 2000,
          activeRuns: [run.id],
          tasks: [run],
        }),
      );
      expect(won).toEqual({ won: true, conflicts: [] });
      expect(await backend.get(run.id)).toEqual(run);
      expect(await schedules.get('nightly-report')).toMatchObject({
        nextRunAt: 2000,
        lastRunAt: 1000,
        activeRuns: [run.id],
      });
      // A stale claim changes nothing and stores nothing.
      const late = makeRecord({ name: 'reports.build' });
      expect(
        await schedules.claimTick(claim({ jobId: 'nightly-report', expectedNextRunAt: 1000, tasks: [late] })),
      ).toEqual({ won: false, conflicts: [] });
      expect(await backend.get(late.id)).toBeNull();
      expect((await schedules.get('nightly-report'))?.nextRunAt).toBe(2000);
      expect(await schedules.claimTick(claim({ jobId: 'unknown', expectedNextRunAt: 1000 }))).toEqual({
        won: false,
        conflicts: [],
      });
      // Skipped and missed ticks set the outcome with the claim.
      const skipped = makeRecord({
        name: 'reports.build',
        status: 'cancelled',
        error: 'skipped: 1 run still going',
      });
      await schedules.claimTick(
        claim({
          jobId: 'nightly-report',
          expectedNextRunAt: 2000,
          nextRunAt: 3000,
          activeRuns: [run.id],
          lastOutcome: 'skipped',
          tasks: [skipped],
        }),
      );
      expect(await schedules.get('nightly-report')).toMatchObject({
        lastOutcome: 'skipped',
        lastRunAt: 2000,
        nextRunAt: 3000,
      });
      expect((await backend.get(skipped.id))?.status).toBe('cancelled');
    });

    it('lets exactly one of several instances claim the same tick', async () => {
      const connections = await Promise.all([connect(), connect(), connect()]);
      await connections[0]!.schedules.register(makeJob({ id: 'every-second', nextRunAt: 5000 }));
      for (let tick = 0; tick < 10; tick++) {
        const expected = 5000 + tick * 1000;
        const runs = connections.map(() =>
          makeRecord({ name: 'reports.build', idempotencyKey: `sched:every-second:${expected}` }),
        );
        const results = await Promise.all(
          connections.map(({ schedules }, i) =>
            schedules.claimTick(
              claim({
                jobId: 'every-second',
                expectedNextRunAt: expected,
                nextRunAt: expected + 1000,
                tasks: [runs[i]!],
              }),
            ),
          ),
        );
        expect(
          results.filter((result) => result.won),
          `tick ${tick}`,
        ).toHaveLength(1);
        const stored = await Promise.all(runs.map((run) => connections[0]!.backend.get(run.id)));
        expect(
          stored.filter((record) => record !== null),
          `tick ${tick}`,
        ).toHaveLength(1);
      }
    });

    it('does not store a tick task whose idempotency key is already held, reports it, and still advances the job', async () => {
      const { backend, schedules } = await connect();
      await schedules.register(makeJob({ nextRunAt: 1000, activeRuns: ['older-run'] }));
      const first = makeRecord({ idempotencyKey: 'sched:nightly-report:1000' });
      await backend.write([first]);
      const second = makeRecord({ idempotencyKey: 'sched:nightly-report:1000' });
      expect(
        await schedules.claimTick(
          claim({
            jobId: 'nightly-report',
            expectedNextRunAt: 1000,
            activeRuns: ['older-run', second.id],
            tasks: [second],
          }),
        ),
      ).toEqual({ won: true, conflicts: [{ id: second.id, existingId: first.id }] });
      expect(await backend.get(second.id)).toBeNull();
      // The refused run never runs, so it must not count against maxInstances.
      expect(await schedules.get('nightly-report')).toMatchObject({
        nextRunAt: 61_000,
        activeRuns: ['older-run'],
      });
      expect(
        (await backend.counts(normalizeQuery({ idempotencyKey: 'sched:nightly-report:1000' }))).pending,
      ).toBe(1);
    });

    it('records the outcome of a run and forgets it as active', async () => {
      const { schedules } = await connect();
      await schedules.register(makeJob({ activeRuns: ['r1', 'r2'] }));
      await schedules.recordOutcome('nightly-report', 'r1', 'failed');
      expect(await schedules.get('nightly-report')).toMatchObject({
        activeRuns: ['r2'],
        lastOutcome: 'failed',
      });
      await schedules.recordOutcome('nightly-report', 'r2', 'success');
      expect(await schedules.get('nightly-report')).toMatchObject({ activeRuns: [], lastOutcome: 'success' });
      await schedules.recordOutcome('missing-job', 'r3', 'success');
    });
  });
}
