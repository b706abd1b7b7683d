import { normalizeQuery } from '@errand/core';
import { describe, expect, it } from 'vitest';
import {
  claimAssignments,
  claimCandidatesWhere,
  DIALECTS,
  type FlowTables,
  fencedUpdate,
  fenceSql,
  historyCounts,
  historyPage,
  jobStatements,
  lockCounter,
  lockStatements,
  Params,
  purgeStatement,
} from '../src/index.js';

/** Placeholders a statement holds, whatever the dialect spells them as. */
function placeholders(sql: string): number {
  return (sql.match(/\$\d+|\?/g) ?? []).length;
}

const everyFilter = normalizeQuery({
  status: ['failed', 'cancelled'],
  name: ['a', 'b'],
  since: 1000.5,
  until: 5000,
  idempotencyKey: 'order-1',
  errorContains: 'Disk %FULL_',
  limit: 10,
  cursor: Buffer.from('4000:0190-id').toString('base64url'),
});

describe.each(Object.values(DIALECTS))('$name', (dialect) => {
  it('binds one value per placeholder, in order, for every history filter', () => {
    const page = historyPage('tasks', '*', everyFilter, dialect);
    const expected = dialect.name === 'postgres' ? page.values.length : page.values.flat().length;
    // mysql2 expands a bound array into its own list; the other two do not need to.
    expect(placeholders(page.sql)).toBe(dialect.name === 'mysql' ? page.values.length : expected);
    expect(page.sql).toMatch(/ORDER BY created_at DESC, id DESC LIMIT/);
    expect(page.values).toContain('disk %full_');
    // A fractional lower bound rounds up: created_at holds whole milliseconds.
    expect(page.values).toContain(1001);
    expect(page.values.at(-1)).toBe(11);
  });

  it('counts over the same filter without the cursor or the limit', () => {
    const counts = historyCounts('tasks', everyFilter, dialect);
    expect(counts.sql).toMatch(/GROUP BY status$/);
    expect(counts.values).not.toContain(11);
    expect(counts.values).not.toContain('0190-id');
  });

  it('leaves out WHERE when nothing filters', () => {
    expect(historyPage('tasks', '*', normalizeQuery(), dialect).sql).not.toContain('WHERE');
  });

  it('checks the claimer is alive and treats proven-dead owners as gone', () => {
    const params = new Params(dialect);
    const where = claimCandidatesWhere(
      { tasks: 'tasks', instances: 'instances' },
      { instanceId: 'me', names: ['a'], deadOwners: ['old'] },
      dialect,
      params,
      dialect.now,
    );
    expect(where).toContain('claimer.id =');
    // Bound in the order the placeholders appear (`?` dialects count by position).
    expect(params.values.flat()).toEqual(['a', 'old', 'me', 'me']);
    if (dialect.name !== 'sqlite') expect(placeholders(where)).toBe(params.values.length);
    // `?` placeholders are positional: the values must follow the text.
    if (dialect.name !== 'postgres') expect(params.values.flat()).toEqual(['a', 'old', 'me', 'me']);
    const set = claimAssignments(dialect, '?', dialect.now).map(([column]) => column);
    // status and owner change last: MySQL assigns left to right.
    expect(set.slice(-2)).toEqual(['status', 'owner']);
  });

  it("takes only the dead owners' work when told to", () => {
    const params = new Params(dialect);
    const where = claimCandidatesWhere(
      { tasks: 'tasks', instances: 'instances' },
      { instanceId: 'me', names: ['a'], deadOwners: ['me'], onlyDeadOwners: true },
      dialect,
      params,
      dialect.now,
    );
    expect(where).not.toContain('IS NULL');
    expect(params.values.flat()).toEqual(['a', 'me', 'me']);
  });

  it("leaves excluded queues' work alone, binding their names after the task names", () => {
    const params = new Params(dialect);
    const where = claimCandidatesWhere(
      { tasks: 'tasks', instances: 'instances' },
      { instanceId: 'me', names: ['a'], excludeQueues: ['paused', 'slow'] },
      dialect,
      params,
      dialect.now,
    );
    expect(where).toMatch(/AND NOT t\.queue/);
    expect(params.values.flat()).toEqual(['a', 'paused', 'slow', 'me', 'me']);
  });

  it('binds the lease of singleton work in the order its placeholders appear', () => {
    const { take } = lockStatements({ locks: 'locks' } as FlowTables, 'retention', 'a', 300, dialect);
    expect(take.values).toEqual(['retention', 'a', 300]);
    const numbered = (take.sql.match(/\$\d+/g) ?? []).map((placeholder) => Number(placeholder.slice(1)));
    expect(numbered).toEqual(dialect.name === 'postgres' ? [1, 2, 3] : []);
  });

  it('creates a missing counter row without a shared lock that FOR UPDATE would have to upgrade', () => {
    const [create, lock] = lockCounter({ counters: 'counters' } as FlowTables, 'q:a', 5, dialect);
    expect(create!.values).toEqual(['q:a', 5]);
    expect(lock!.values).toEqual(['q:a']);
    // MySQL: INSERT IGNORE share-locks an existing row; two callers upgrading it deadlock.
    expect(create!.sql).not.toMatch(/IGNORE/);
    if (dialect.name === 'mysql') expect(create!.sql).toMatch(/ON DUPLICATE KEY UPDATE `key` = `key`$/);
    if (dialect.name !== 'sqlite') expect(lock!.sql).toMatch(/FOR UPDATE$/);
  });

  it('purges oldest finished first, ties by id, so a replayed statement deletes the same rows', () => {
    const request = {
      status: 'success' as const,
      finishedBefore: 10,
      queues: null,
      excludeQueues: [],
      limit: 5,
    };
    const { sql } = purgeStatement({ tasks: 'tasks' } as FlowTables, request, dialect);
    expect(sql).toMatch(/ORDER BY finished_at, id LIMIT/);
  });

  it('binds each job statement in the order its placeholders appear', () => {
    const jobs = jobStatements({ jobs: 'jobs' }, dialect);
    const tick = {
      jobId: 'j',
      expectedNextRunAt: 1,
      nextRunAt: 2,
      activeRuns: ['r'],
      lastRunAt: 3,
      lastOutcome: null,
      tasks: [],
    };
    const statements = [
      jobs.list(),
      jobs.get('j'),
      jobs.register(Array.from({ length: 12 }, (_, i) => i)),
      jobs.markOrphans(['a', 'b']),
      jobs.markOrphans([]),
      jobs.remove('j'),
      jobs.setPaused('j', true),
      jobs.claimTick(tick),
      jobs.setActiveRuns('j', ['r']),
      jobs.lockRuns('j'),
      jobs.recordOutcome('j', ['r'], 'success'),
      jobs.due(5, 10),
    ];
    for (const { sql, values } of statements) {
      if (dialect.name === 'postgres') {
        const numbered = (sql.match(/\$\d+/g) ?? []).map((placeholder) => Number(placeholder.slice(1)));
        expect(numbered, sql).toEqual(values.map((_, i) => i + 1));
      } else {
        // mysql2 expands a bound list into its own placeholders; SQLite has one per value.
        const count = dialect.name === 'mysql' ? values.length : values.flat().length;
        expect(placeholders(sql), sql).toBe(count);
      }
    }
    expect(jobs.claimTick(tick).values).toEqual([2, '["r"]', 3, null, 'j', 1]);
  });

  it('updates every column but id, the cancel request sticky, owner and status last', () => {
    const { set, fence } = fencedUpdate(dialect, dialect.name === 'mysql' ? null : 't');
    expect(set.map(([column]) => column).slice(-2)).toEqual(['owner', 'status']);
    expect(set.map(([column]) => column)).not.toContain('id');
    const stored = dialect.name === 'mysql' ? 'owner' : 't.owner';
    expect(fence).toContain(`${stored} IS NULL OR ${stored} = ${dialect.incoming('owner')}`);
    const [, sticky] = set.find(([column]) => column === 'cancel_requested')!;
    expect(sticky).toMatch(/^CASE WHEN/);
  });

  it('spells the fencing rule over both rows', () => {
    expect(fenceSql({ owner: 't.owner', status: 't.status' }, { owner: 'x.owner', status: 'x.status' })).toBe(
      "(t.owner IS NULL OR t.owner = x.owner OR (t.status IN ('success', 'failed', 'interrupted', 'cancelled', 'rejected', 'expired') AND x.status = 'pending'))",
    );
  });
});
