import { describe, expect, it } from 'vitest';
import { sqliteDialect } from '../src/dialects.js';
import { isTransition, TASK_COLUMNS, TRANSITION_COLUMNS, transitionUpdate } from '../src/index.js';

describe('write kinds', () => {
  it('reads a record as a transition only when its writer says so', () => {
    const hints = { kinds: ['insert', 'transition'] as const };
    expect([0, 1, 2].map((index) => isTransition(hints, index))).toEqual([false, true, false]);
    expect(isTransition(undefined, 0)).toBe(false);
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
