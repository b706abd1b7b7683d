import {
  type ClaimRequest,
  encodeFields,
  InvalidStateError,
  normalizeQuery,
  StoreCaller,
  type StoredJob,
  TASK_FIELDS,
  type TaskRecord,
  TEXT_JSON_CODEC,
  type WriteResult,
} from '@errand/core';
import { makeRecord } from '@errand/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Procedure, SqlBackend, type SqlDriver, sqliteDialect, TASK_COLUMNS } from '../src/index.js';
import { sqliteStore, tables } from './sqlite-store.js';

// SqlBackend and its schedule store on a real SQLite store, through the smallest driver: each
// statement it builds runs with distinct values, so one bound out of its placeholder's order shows.

class TestBackend extends SqlBackend {
  readonly name = 'test';
  store: ReturnType<typeof sqliteStore> | null = null;

  constructor() {
    const caller = new StoreCaller({ backend: 'test', timeout: 5000 });
    super({ dialect: sqliteDialect, tables, caller, codec: TEXT_JSON_CODEC });
  }

  write(records: readonly TaskRecord[]): Promise<WriteResult> {
    return this.call('write', (d) => d.atomically(this.writeProcedure(records)));
  }

  protected *writeProcedure(records: readonly TaskRecord[]): Procedure<WriteResult> {
    const placeholders = TASK_COLUMNS.map(() => '?').join(', ');
    for (const record of records) {
      const values = encodeFields(TASK_FIELDS, record, TEXT_JSON_CODEC);
      yield { sql: `INSERT OR REPLACE INTO tasks (${TASK_COLUMNS}) VALUES (${placeholders})`, values };
    }
    // Taken as held by an earlier task, to see the tick leave it out of active_runs.
    return {
      conflicts: records
        .filter((r) => r.idempotencyKey === 'held')
        .map((r) => ({ id: r.id, existingId: 'x' })),
      fenced: [],
    };
  }

  protected claimTasks(_driver: SqlDriver, _request: ClaimRequest): TaskRecord[] {
    return [];
  }

  protected driver(): SqlDriver | null {
    return this.store?.driver ?? null;
  }
}

const job = (overrides: Partial<StoredJob> = {}): StoredJob => ({
  id: 'nightly',
  taskName: 'report',
  trigger: { kind: 'cron', expression: '0 2 * * *', timezone: 'UTC' },
  definitionHash: 'h1',
  options: { args: [1] },
  nextRunAt: 1000,
  lastRunAt: null,
  lastOutcome: null,
  paused: false,
  orphaned: false,
  activeRuns: [],
  updatedAt: 1,
  ...overrides,
});

let backend: TestBackend;

beforeEach(() => {
  backend = new TestBackend();
  backend.store = sqliteStore();
});

afterEach(() => backend.store?.db.close());

describe('SqlBackend on a real SQLite store', () => {
  it('refuses every call while not open with an InvalidStateError naming the call', async () => {
    const closed = new TestBackend();
    await expect(closed.get('x')).rejects.toBeInstanceOf(InvalidStateError);
    await expect(closed.schedules.list()).rejects.toThrow(
      /test backend is not open: open\(\) it before schedules.list\(\)/,
    );
  });

  it('reads records one, many, by page and by count', async () => {
    const [a, b] = [makeRecord({ name: 'a' }), makeRecord({ name: 'b', status: 'success' })];
    await backend.write([a, b]);
    expect(await backend.get(a.id)).toEqual(a);
    expect(await backend.get('missing')).toBeNull();
    expect((await backend.getMany([b.id, 'missing', a.id])).map((r) => r.id).sort()).toEqual(
      [a.id, b.id].sort(),
    );
    expect(await backend.query(normalizeQuery({ name: 'b' }))).toEqual([b]);
    expect(await backend.counts(normalizeQuery())).toMatchObject({ pending: 1, success: 1, failed: 0 });
  });

  it('keeps heartbeat rows on the store clock, in the order instances started', async () => {
    const before = await backend.now();
    expect(await backend.heartbeat('b', 60_000, { pid: 2 })).toEqual({ cancelRequests: [], queues: [] });
    // Started a clock tick later: ties go by id.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await backend.heartbeat('a', 30_000, { pid: 1 });
    await backend.heartbeat('b', 90_000, { pid: 3 });
    const [b, a] = await backend.instances();
    expect(b).toMatchObject({ id: 'b', meta: { pid: 3 } });
    expect(b!.expiresAt - b!.startedAt).toBeGreaterThanOrEqual(90_000);
    expect(a!.expiresAt).toBeGreaterThanOrEqual(before + 30_000);
    await backend.removeInstance('b');
    expect((await backend.instances()).map((i) => i.id)).toEqual(['a']);
  });

  it('registers a job: inserted, kept when its hash is the same, its definition replaced when not', async () => {
    const { schedules } = backend;
    expect(await schedules.register(job({ orphaned: true }))).toEqual(job());
    await schedules.claimTick({
      jobId: 'nightly',
      expectedNextRunAt: 1000,
      nextRunAt: 2000,
      activeRuns: ['r'],
      lastRunAt: 1500,
      lastOutcome: 'missed',
      tasks: [],
    });
    await schedules.markOrphans([]);
    const { updatedAt } = (await schedules.get('nightly'))!;
    const kept = await schedules.register(job({ taskName: 'other', nextRunAt: 5 }));
    expect(kept).toMatchObject({
      taskName: 'report',
      nextRunAt: 2000,
      orphaned: false,
      activeRuns: ['r'],
      updatedAt,
    });
    const replaced = await schedules.register(
      job({ taskName: 'other', definitionHash: 'h2', nextRunAt: 5, paused: true }),
    );
    expect(replaced).toMatchObject({
      taskName: 'other',
      definitionHash: 'h2',
      nextRunAt: 5,
      paused: false,
      lastRunAt: 1500,
      lastOutcome: 'missed',
      activeRuns: ['r'],
    });
    expect(replaced.updatedAt).toBeGreaterThan(1);
  });

  it('marks orphans, pauses, lists due jobs in order and removes', async () => {
    const { schedules } = backend;
    for (const [id, nextRunAt] of [
      ['c', 30],
      ['a', 10],
      ['b', 20],
      ['later', 99],
    ] as const)
      await schedules.register(job({ id, nextRunAt }));
    await schedules.markOrphans(['a', 'later']);
    expect((await schedules.list()).map((j) => [j.id, j.orphaned])).toEqual([
      ['a', false],
      ['b', true],
      ['c', true],
      ['later', false],
    ]);
    await schedules.markOrphans(['a', 'b', 'c', 'later']);
    expect(await schedules.setPaused('b', true)).toBe(true);
    expect(await schedules.setPaused('missing', true)).toBe(false);
    expect((await schedules.due(50, 5)).map((j) => j.id)).toEqual(['a', 'c']);
    expect((await schedules.due(50, 1)).map((j) => j.id)).toEqual(['a']);
    expect((await schedules.due(50, Number.POSITIVE_INFINITY)).map((j) => j.id)).toEqual(['a', 'c']);
    expect(await schedules.remove('a')).toBe(true);
    expect(await schedules.remove('a')).toBe(false);
    expect(await schedules.get('a')).toBeNull();
  });

  it('claims a tick once, with its tasks, leaving a run refused for a held key out of active_runs', async () => {
    const { schedules } = backend;
    await schedules.register(job());
    const [run, refused] = [makeRecord(), makeRecord({ idempotencyKey: 'held' })];
    const claim = {
      jobId: 'nightly',
      expectedNextRunAt: 1000,
      nextRunAt: 2000,
      activeRuns: [run.id, refused.id],
      lastRunAt: 1500,
      lastOutcome: null,
      tasks: [run, refused],
    };
    expect(await schedules.claimTick(claim)).toEqual({
      won: true,
      conflicts: [{ id: refused.id, existingId: 'x' }],
    });
    expect(await schedules.claimTick(claim)).toEqual({ won: false, conflicts: [] });
    expect(await schedules.get('nightly')).toMatchObject({
      nextRunAt: 2000,
      lastRunAt: 1500,
      activeRuns: [run.id],
    });
    expect(await backend.get(run.id)).toEqual(run);
    await schedules.recordOutcome('nightly', run.id, 'success');
    expect(await schedules.get('nightly')).toMatchObject({ activeRuns: [], lastOutcome: 'success' });
    await schedules.recordOutcome('missing', run.id, 'failed');
  });
});
