import { SchemaVersionError } from '@errand/core';
import { describe, expect, it } from 'vitest';
import { type Migration, type MigrationDriver, runMigrations } from '../src/index.js';

const migrations: Array<Migration<string>> = [1, 2, 3].map((version) => ({
  version,
  description: `m${version}`,
  statements: (p) => [`${p}${version}`],
}));

/** A store at `version` that records what the runner asked of it. */
function store(version: number, peek = true) {
  const calls: string[] = [];
  const driver: MigrationDriver = {
    async exclusive(work) {
      calls.push('lock');
      return work();
    },
    async readVersion() {
      calls.push('read');
      return version;
    },
    execute: async (sql) => void calls.push(sql),
    record: async ({ version: applied }) => {
      calls.push(`record ${applied}`);
      version = applied;
    },
  };
  if (peek) {
    driver.peekVersion = async () => {
      calls.push('peek');
      return version;
    };
  }
  return { driver, calls };
}

const options = { store: 'the test store', packageName: '@errand/test' };

describe('runMigrations', () => {
  it('opens a current store without its lock', async () => {
    const { driver, calls } = store(3);
    expect(await runMigrations(driver, migrations, 'x', options)).toEqual({ from: 3, to: 3 });
    expect(calls).toEqual(['peek']);
  });

  it('migrates an older store under the lock, reading its version again there', async () => {
    const { driver, calls } = store(1);
    expect(await runMigrations(driver, migrations, 'x', options)).toEqual({ from: 1, to: 3 });
    expect(calls).toEqual(['peek', 'lock', 'read', 'x2', 'record 2', 'x3', 'record 3']);
  });

  it('stops at a target, and leaves a store at or past it (within what it knows) alone', async () => {
    const { driver, calls } = store(0);
    expect(await runMigrations(driver, migrations, 'x', { ...options, target: 2 })).toEqual({
      from: 0,
      to: 2,
    });
    expect(calls.at(-1)).toBe('record 2');
    const current = store(3);
    expect(await runMigrations(current.driver, migrations, 'x', { ...options, target: 2 })).toEqual({
      from: 3,
      to: 3,
    });
    expect(current.calls).toEqual(['peek']);
  });

  it('refuses a newer store, looked at under the lock', async () => {
    const { driver, calls } = store(4);
    await expect(runMigrations(driver, migrations, 'x', options)).rejects.toBeInstanceOf(SchemaVersionError);
    expect(calls).toEqual(['peek', 'lock', 'read']);
  });

  it('takes the lock at once for a driver that cannot look first', async () => {
    const { driver, calls } = store(3, false);
    expect(await runMigrations(driver, migrations, 'x', options)).toEqual({ from: 3, to: 3 });
    expect(calls).toEqual(['lock', 'read']);
  });
});
