import { describe, expect, it } from 'vitest';
import {
  acquireProcedure,
  cancelProcedure,
  getManyProcedure,
  type Procedure,
  runProcedure,
  type Statement,
  type StatementResult,
  sqliteDialect,
  takeTokensProcedure,
  tryLockProcedure,
} from '../src/index.js';

const t = {
  tasks: 'tasks',
  instances: 'instances',
  queues: 'queues',
  counters: 'counters',
  semaphores: 'semaphores',
  locks: 'locks',
};

/** Drives `procedure`, answering each statement with the next of `results`; returns what it ran too. */
function drive<T>(procedure: Procedure<T>, results: Array<Partial<StatementResult>>) {
  const ran: Statement[] = [];
  const value = (function run() {
    let step = procedure.next();
    while (!step.done) {
      ran.push(step.value);
      step = procedure.next({ rows: [], changes: 0, ...results.shift() });
    }
    return step.value;
  })();
  return { value, ran: ran.map((statement) => statement.sql.split(/\s/)[0]), statements: ran };
}

describe('procedures', () => {
  it('grants a semaphore what its limit leaves, and adds nothing when it leaves nothing', () => {
    const grant = (used: number, want: number) =>
      drive(acquireProcedure(t, 'q', 'a', want, 3, sqliteDialect), [{}, {}, {}, { rows: [{ used }] }]);
    expect(grant(1, 5)).toMatchObject({ value: 2, ran: ['INSERT', 'SELECT', 'DELETE', 'SELECT', 'INSERT'] });
    expect(grant(1, 5).statements.at(-1)!.values).toEqual(['q', 'a', 2]);
    // Its lock row is not the token bucket that core names with the same key.
    expect(grant(1, 5).statements[0]!.values).toEqual(['semaphore:q', 0]);
    expect(grant(3, 5)).toMatchObject({ value: 0, ran: ['INSERT', 'SELECT', 'DELETE', 'SELECT'] });
    // Units of holders that are over the limit (it was lowered) never make a negative grant.
    expect(grant(7, 1).value).toBe(0);
  });

  it('refills a token bucket on the clock it read, takes whole tokens, and stores the rest', () => {
    const rate = { max: 10, perMs: 1000 };
    const { value, statements } = drive(takeTokensProcedure(t, 'k', 3, rate, sqliteDialect), [
      {},
      { rows: [{ value: 4.5, at: 1000, now: 1500 }] },
    ]);
    expect(value).toBe(3);
    expect(statements[0]!.values).toEqual(['k', 10]);
    expect(statements.at(-1)!.values).toEqual([6.5, 1500, 'k']);
  });

  it('tells cancelled, requested, finished and missing apart', () => {
    const outcome = (changes: number, rows: Array<Record<string, unknown>>) =>
      drive(cancelProcedure(t, 'id', sqliteDialect), [{ changes }, {}, { rows }]).value;
    expect(outcome(1, [{ status: 'cancelled' }])).toBe('cancelled');
    expect(outcome(0, [{ status: 'running' }])).toBe('requested');
    expect(outcome(0, [{ status: 'success' }])).toBe('finished');
    expect(outcome(0, [])).toBe('missing');
  });

  it('holds a lock only when the holder read back is the caller', () => {
    const held = (rows: Array<Record<string, unknown>>) =>
      drive(tryLockProcedure(t, 'retention', 'a', 100, sqliteDialect), [{}, { rows }]).value;
    expect(held([{ holder: 'a' }])).toBe(true);
    expect(held([{ holder: Buffer.from('a') }])).toBe(true);
    expect(held([{ holder: 'b' }])).toBe(false);
    expect(held([])).toBe(false);
  });

  it('reads many ids in chunks, and nothing for no ids', () => {
    const ids = Array.from({ length: 1201 }, (_, i) => `id-${i}`);
    const { value, statements } = drive(getManyProcedure(t, '*', ids, sqliteDialect), [
      { rows: [{ id: 'id-0' }] },
      {},
      { rows: [{ id: 'id-1200' }] },
    ]);
    expect(statements.map((statement) => statement.values.length)).toEqual([500, 500, 201]);
    expect(value).toEqual([{ id: 'id-0' }, { id: 'id-1200' }]);
    expect(drive(getManyProcedure(t, '*', [], sqliteDialect), []).statements).toEqual([]);
  });

  it('runs a procedure through an asynchronous driver, one statement after the other', async () => {
    const seen: string[] = [];
    const granted = await runProcedure(
      acquireProcedure(t, 'q', 'a', 2, 5, sqliteDialect),
      async (statement) => {
        seen.push(statement.sql.split(/\s/)[0]!);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return { rows: statement.sql.includes('AS used') ? [{ used: '4' }] : [], changes: 0 };
      },
    );
    expect(granted).toBe(1);
    expect(seen).toEqual(['INSERT', 'SELECT', 'DELETE', 'SELECT', 'INSERT']);
  });
});
