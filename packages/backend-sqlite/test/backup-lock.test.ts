import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRecord } from '@errand/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteBackend } from '../src/index.js';

// Removing a lock file takes a random few milliseconds, as it may under load: takers that
// race for one stale lock then interleave in every order, not in lockstep.
vi.mock('node:fs/promises', async (original) => {
  const fs = await original<typeof import('node:fs/promises')>();
  const jitter = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
  return {
    ...fs,
    rm: async (...args: Parameters<typeof fs.rm>) => {
      if (String(args[0]).endsWith('.backup.lock')) await jitter();
      return fs.rm(...args);
    },
  };
});

const logger = { debug() {}, info() {}, warn() {}, error() {} };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'errand-sqlite-lock-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the backup lock', () => {
  const lockOf = (target: string, name = 'app') => join(target, `.${name}.backup.lock`);

  it('takes over the lock of a backup whose process was SIGKILLed, and respects it while that process lives', async () => {
    const path = join(dir, 'app.db');
    const target = join(dir, 'backups');
    const backend = new SqliteBackend({ path });
    await backend.open({ logger });
    await backend.write([makeRecord()]);
    // A real process takes the lock through the real code, then hangs inside the copy.
    const script = `
      const { default: Database } = await import('better-sqlite3');
      Database.prototype.backup = () => { console.log('locked'); return new Promise(() => {}); };
      setInterval(() => {}, 1000); // alive until killed
      const { SqliteBackend } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      const backend = new SqliteBackend({ path: ${JSON.stringify(path)} });
      await backend.open();
      await backend.backup({ dir: ${JSON.stringify(target)} });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk) => String(chunk).includes('locked') && resolve());
        child.on('exit', (code) => reject(new Error(`the child exited (${code}) before taking the lock`)));
      });
      expect(JSON.parse(await readFile(lockOf(target), 'utf8'))).toMatchObject({ pid: child.pid });
      await expect(backend.backup({ dir: target })).rejects.toThrow(/another backup .* is running/);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const result = await backend.backup({ dir: target });
    expect(result.path).toMatch(/app-\d{8}T/);
    // Released after the backup: the next one needs no takeover.
    expect(await readdir(target)).toEqual([basename(result.path)]);
    await backend.backup({ dir: target });
    await backend.close();
  }, 30_000);

  it('takes over a lock older than staleLockAfter, whatever host holds it, but not a fresh one', async () => {
    const backend = new SqliteBackend({ path: join(dir, 'app.db') });
    await backend.open({ logger });
    const target = join(dir, 'backups');
    await mkdir(target, { recursive: true });
    const elsewhere = { pid: process.pid, host: 'another-host' };
    await writeFile(lockOf(target), JSON.stringify({ ...elsewhere, startedAt: Date.now() }));
    await expect(backend.backup({ dir: target })).rejects.toThrow(/another backup/);
    await writeFile(lockOf(target), JSON.stringify({ ...elsewhere, startedAt: Date.now() - 2 * 3_600_000 }));
    await backend.backup({ dir: target });
    // An unreadable lock (an older release wrote them empty) is judged by its age.
    await writeFile(lockOf(target), '');
    await expect(backend.backup({ dir: target, staleLockAfter: 60_000 })).rejects.toThrow(/another backup/);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await backend.backup({ dir: target, staleLockAfter: 10 });
    expect((await readdir(target)).filter((file) => file.startsWith('.'))).toEqual([]);
    await backend.close();
  });

  it('lets exactly one of several backups take over the same stale lock', async () => {
    const path = join(dir, 'app.db');
    const backends = Array.from({ length: 4 }, () => new SqliteBackend({ path }));
    await Promise.all(backends.map((backend) => backend.open({ logger })));
    const target = join(dir, 'backups');
    await mkdir(target, { recursive: true });
    for (let round = 0; round < 10; round++) {
      const dead = { pid: process.pid, host: 'another-host', startedAt: Date.now() - 2 * 3_600_000 };
      await writeFile(lockOf(target), JSON.stringify(dead));
      const results = await Promise.allSettled(backends.map((backend) => backend.backup({ dir: target })));
      expect(
        results.filter((result) => result.status === 'fulfilled'),
        `round ${round}`,
      ).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(String(result.reason)).toMatch(/another backup/);
      }
    }
    await Promise.all(backends.map((backend) => backend.close()));
  });
});
