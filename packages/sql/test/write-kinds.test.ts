import { makeRecord } from '@errand/core/testing';
import { describe, expect, it } from 'vitest';
import { sqliteDialect } from '../src/dialects.js';
import { splitByKind, TASK_COLUMNS, TRANSITION_COLUMNS, transitionUpdate } from '../src/index.js';

describe('write kinds', () => {
  it('sends transitions that take no key narrow, everything else in full, each id once', () => {
    const fresh = makeRecord();
    const started = makeRecord({ status: 'running' });
    const retried = makeRecord({ idempotencyKey: 'k' });
    const unhinted = makeRecord();
    const twice = makeRecord();
    const records = [fresh, started, retried, unhinted, twice, { ...twice, status: 'success' as const }];
    const split = splitByKind(records, {
      kinds: ['insert', 'transition', 'transition', undefined as never, 'insert', 'transition'],
    });
    expect(split.full.map((r) => r.id)).toEqual([fresh.id, retried.id, unhinted.id]);
    expect(split.transitions).toEqual([started, records[5]]);
    expect(splitByKind(records, undefined).transitions).toEqual([]);
  });

  it('updates only the columns a transition changes, owner and status last, under the fence', () => {
    expect(TRANSITION_COLUMNS).not.toContain('args');
    expect(TRANSITION_COLUMNS).not.toContain('name');
    expect(TRANSITION_COLUMNS).not.toContain('created_at');
    expect(TRANSITION_COLUMNS.slice(-2)).toEqual(['owner', 'status']);
    expect(TRANSITION_COLUMNS.every((column) => TASK_COLUMNS.includes(column))).toBe(true);
    const { set, fence } = transitionUpdate(sqliteDialect, 't', (column) => `@${column}`);
    expect(set.map(([column]) => column)).toEqual(TRANSITION_COLUMNS);
    expect(fence).toContain('t.owner = @owner');
    expect(set.find(([column]) => column === 'cancel_requested')![1]).toContain('t.cancel_requested');
  });
});
