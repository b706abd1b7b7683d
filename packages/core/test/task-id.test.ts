import { describe, expect, it } from 'vitest';
import { newTaskId } from '../src/index.js';

describe('newTaskId', () => {
  it('makes UUID v7 strings that carry their millisecond and sort in creation order', () => {
    const at = Date.UTC(2026, 10, 22, 22, 0, 0, 123);
    const ids = Array.from({ length: 10_000 }, () => newTaskId(at + 10_000));
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice().sort()).toEqual(ids);
    const first = ids[0]!;
    expect(Number.parseInt(first.slice(0, 8) + first.slice(9, 13), 16)).toBe(at + 10_000);
  });

  it('never goes backwards when the clock does', () => {
    const ahead = newTaskId(Date.now() + 60_000);
    expect(newTaskId(Date.now()) > ahead).toBe(true);
  });
});
