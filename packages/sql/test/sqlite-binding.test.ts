import { normalizeQuery, type TaskRecord } from '@errand/core';
import { makeRecord } from '@errand/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireProcedure,
  aggregateProcedure,
  cancelProcedure,
  cancelRequestsOf,
  claimAssignments,
  claimCandidatesWhere,
  claimOrder,
  sqliteDialect as dialect,
  getManyProcedure,
  historyCounts,
  historyPage,
  overrideProcedure,
  Params,
  type Procedure,
  purgeStatement,
  releaseProcedure,
  type Statement,
  setList,
  takeTokensProcedure,
  tryLockProcedure,
} from '../src/index.js';
import { sqliteStore, tables } from './sqlite-store.js';

// `?` placeholders are numbered by position: a builder that binds its values in another order than
// its text names them runs without error and answers for other values. Each case runs a builder's
// statements on a real SQLite store, with every bound value distinct, so any reordering changes
// the answer. (The MySQL dialect shares each builder's code path and its `?`; PostgreSQL numbers its
// placeholders, so there the order cannot go wrong silently.)

const HOUR = 3_600_000;
const t = tables;

let store: ReturnType<typeof sqliteStore>;
const execute = (statement: Statement) => store.execute(statement);
const run = <T>(procedure: Procedure<T>) => store.run(procedure);
const insert = (...records: TaskRecord[]) => store.insert(...records);
const instance = (id: string, ttl?: number) => store.instance(id, ttl);
const ids = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((row) => String(row.id)).sort();

beforeEach(() => {
  store = sqliteStore();
});

afterEach(() => store.db.close());

describe('every ?-dialect builder binds each value to its own placeholder (real SQLite)', () => {
  it('history pages and counts, with every filter at once', () => {
    const match = makeRecord({
      id: 'm',
      status: 'failed',
      name: 'a',
      createdAt: 1500,
      idempotencyKey: 'k',
      error: 'Disk full',
      queue: 'q1',
      tags: { t: 'v', other: 'x' },
    });
    const near = (id: string, overrides: Partial<TaskRecord>) => makeRecord({ ...match, id, ...overrides });
    insert(
      match,
      near('status', { status: 'success' }),
      near('name', { name: 'b' }),
      near('early', { createdAt: 999 }),
      near('late', { createdAt: 2000 }),
      near('key', { idempotencyKey: 'k2' }),
      near('error', { error: 'nope' }),
      near('queue', { queue: 'q2' }),
      near('tags', { tags: { t: 'w' } }),
      near('cursor', { createdAt: 1950 }),
    );
    const query = normalizeQuery({
      status: 'failed',
      name: 'a',
      since: 1000,
      until: 2000,
      idempotencyKey: 'k',
      errorContains: 'disk',
      queue: 'q1',
      tags: { t: 'v' },
      limit: 10,
      cursor: Buffer.from('1900:z').toString('base64url'),
    });
    expect(ids(execute(historyPage('tasks', 'id', query, dialect)).rows)).toEqual(['m']);
    // Counts leave the cursor and the limit out.
    expect(execute(historyCounts('tasks', query, dialect)).rows).toEqual([{ status: 'failed', n: 2 }]);
  });

  it('claims: candidates, excluded queues, dead owners, the claimer, the limit and the assignments', () => {
    for (const [id, ttl] of [
      ['me', HOUR],
      ['other', HOUR],
      ['dead', HOUR],
      ['gone', -1000],
    ] as const) {
      instance(id, ttl);
    }
    const task = (id: string, overrides: Partial<TaskRecord> = {}) =>
      makeRecord({ id, name: 'a', createdAt: 1, runAt: 0, owner: null, ...overrides });
    insert(
      task('unowned'),
      task('not-due', { runAt: Date.now() + HOUR }),
      task('dead-running', { owner: 'dead', status: 'running', priority: 5 }),
      task('gone', { owner: 'gone', createdAt: 2 }),
      task('live', { owner: 'other' }),
      task('paused', { queue: 'paused' }),
      task('other-name', { name: 'b' }),
      task('mine', { owner: 'me' }),
      task('last', { owner: 'gone', createdAt: 3 }),
    );
    const claim = (claimer: string, limit: number, onlyDeadOwners = false) => {
      const p = new Params(dialect);
      const set = setList(claimAssignments(dialect, p.add(claimer), dialect.now));
      const filter = { instanceId: claimer, names: ['a'], deadOwners: ['dead'], excludeQueues: ['paused'] };
      const where = claimCandidatesWhere(t, { ...filter, onlyDeadOwners }, dialect, p, dialect.now);
      const sql = `UPDATE tasks SET ${set} WHERE id IN (SELECT t.id FROM tasks t WHERE ${where}
        ORDER BY ${claimOrder('t')} LIMIT ${p.add(limit)}) RETURNING id, owner, status, error`;
      return execute({ sql, values: p.values }).rows;
    };
    expect(claim('ghost', 10)).toEqual([]);
    expect(ids(claim('me', 5, true))).toEqual(['dead-running']);
    const claimed = claim('me', 2);
    expect(ids(claimed)).toEqual(['gone', 'unowned']);
    expect(claimed.map((row) => row.owner)).toEqual(['me', 'me']);
    // The claimed one that was running is interrupted, its error naming the lost owner.
    const [dead] = execute({
      sql: "SELECT status, error FROM tasks WHERE id = 'dead-running'",
      values: [],
    }).rows;
    expect(dead).toEqual({ status: 'interrupted', error: expect.stringContaining('dead') });
  });

  it('getMany, cancel and the heartbeat’s cancel requests', () => {
    instance('other');
    insert(
      makeRecord({ id: 'free', owner: null }),
      makeRecord({ id: 'owned', owner: 'other', status: 'running' }),
      makeRecord({ id: 'done', owner: 'other', status: 'success' }),
    );
    expect(ids(run(getManyProcedure(t, 'id', ['owned', 'nope', 'free'], dialect, 2)))).toEqual([
      'free',
      'owned',
    ]);
    const outcomes = ['free', 'owned', 'done', 'missing'].map((id) => run(cancelProcedure(t, id, dialect)));
    expect(outcomes).toEqual(['cancelled', 'requested', 'finished', 'missing']);
    expect(ids(execute(cancelRequestsOf(t, 'other', dialect)).rows)).toEqual(['owned']);
    expect(execute(cancelRequestsOf(t, 'me', dialect)).rows).toEqual([]);
  });

  it('aggregates a window in buckets, with a sample of durations and the oldest pending task', () => {
    const done = (id: string, finishedAt: number, status: TaskRecord['status'] = 'success') =>
      makeRecord({ id, status, finishedAt, duration: finishedAt / 10, name: `n-${id}` });
    insert(
      done('before', 999),
      done('a', 1000),
      done('b', 1050),
      done('c', 1120, 'failed'),
      done('d', 1150),
      done('after', 1200),
      makeRecord({ id: 'p', status: 'pending', createdAt: 42 }),
    );
    const aggregate = run(
      aggregateProcedure('tasks', { since: 1000, until: 1200, bucketMs: 100, durationSample: 2 }, dialect),
    );
    expect(aggregate).toEqual({
      finished: [
        { start: 1000, status: 'success', count: 2 },
        { start: 1100, status: 'failed', count: 1 },
        { start: 1100, status: 'success', count: 1 },
      ],
      durations: [
        { name: 'n-d', duration: 115 },
        { name: 'n-b', duration: 105 },
      ],
      oldestPendingAt: 42,
    });
  });

  it('queue overrides: each field set, one cleared, then the row dropped when none is left', () => {
    const set = (patch: Parameters<typeof overrideProcedure>[2]) =>
      run(overrideProcedure(t, 'q', patch, dialect));
    expect(set({ paused: true, concurrency: 3, globalConcurrency: 7 })).toMatchObject({
      name: 'q',
      paused: true,
      concurrency: 3,
      globalConcurrency: 7,
    });
    expect(set({ concurrency: null })).toMatchObject({
      paused: true,
      concurrency: null,
      globalConcurrency: 7,
    });
    expect(set({ paused: null, globalConcurrency: null })).toBeNull();
  });

  it('semaphores, token buckets and leases', () => {
    instance('me');
    instance('other');
    instance('gone', -1000);
    store.db.prepare("INSERT INTO semaphores VALUES ('q', 'gone', 4)").run();
    expect(run(acquireProcedure(t, 'q', 'me', 3, 5, dialect))).toBe(3);
    expect(run(acquireProcedure(t, 'q', 'other', 4, 5, dialect))).toBe(2);
    run(releaseProcedure(t, 'q', 'me', 3, dialect));
    expect(execute({ sql: 'SELECT key, holder, units FROM semaphores', values: [] }).rows).toEqual([
      { key: 'q', holder: 'other', units: 2 },
    ]);
    const rate = { max: 5, perMs: 1e12 };
    expect(run(takeTokensProcedure(t, 'bucket', 3, rate, dialect))).toBe(3);
    expect(run(takeTokensProcedure(t, 'bucket', 4, rate, dialect))).toBe(2);
    expect(run(tryLockProcedure(t, 'retention', 'a', 60_000, dialect))).toBe(true);
    expect(run(tryLockProcedure(t, 'retention', 'b', 60_000, dialect))).toBe(false);
    expect(run(tryLockProcedure(t, 'retention', 'a', -1, dialect))).toBe(true);
    expect(run(tryLockProcedure(t, 'retention', 'b', 60_000, dialect))).toBe(true);
  });

  it('purges one status finished before a time, in the given queues or out of the excluded ones, oldest first', () => {
    const done = (id: string, finishedAt: number, queue = 'q1', status: TaskRecord['status'] = 'success') =>
      makeRecord({ id, status, finishedAt, queue });
    insert(
      done('old-b', 10),
      done('old-a', 10),
      done('newer', 20),
      done('q2', 5, 'q2'),
      done('failed', 5, 'q1', 'failed'),
      done('late', 100),
      makeRecord({ id: 'running', status: 'running', finishedAt: 1 }),
    );
    const purge = (request: Partial<Parameters<typeof purgeStatement>[1]>) =>
      execute(
        purgeStatement(
          t,
          { status: 'success', finishedBefore: 50, queues: null, excludeQueues: [], limit: 2, ...request },
          dialect,
        ),
      ).changes;
    const left = () => ids(execute({ sql: 'SELECT id FROM tasks', values: [] }).rows);
    expect(purge({ queues: ['q1'], limit: 2 })).toBe(2);
    expect(left()).toEqual(['failed', 'late', 'newer', 'q2', 'running']);
    expect(purge({ excludeQueues: ['q1'], limit: 3 })).toBe(1);
    expect(left()).toEqual(['failed', 'late', 'newer', 'running']);
  });
});
