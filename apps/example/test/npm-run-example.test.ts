import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'errand-npm-run-example-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Whether something still accepts connections on this URL's port. */
function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm run example', () => {
  it('stops the server cleanly and frees its port when npm itself gets SIGTERM', async () => {
    // The README's command, from the repository root, as a newcomer (or a process manager) runs it.
    const npm = spawn('npm', ['run', 'example'], {
      cwd: root,
      env: { ...process.env, PORT: '0', ERRAND_DB: join(dir, 'tasks.db') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk) => (output += chunk));
    npm.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));

    const url = await new Promise<string>((resolve, reject) => {
      // turbo checks (and may rebuild) seven packages first: slow on a busy machine.
      const timer = setTimeout(() => reject(new Error(`no server after 120 s:\n${output}`)), 120_000);
      npm.stdout.on('data', () => {
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`npm exited with ${code} before serving:\n${output}`)));
    });
    expect(await answers(url)).toBe(true);

    npm.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(resolve, 15_000, 'timeout')),
    ]);
    expect(code, output).toBe(0);
    expect(output).toContain('SIGTERM: shutting down');
    expect(output).toContain('stopped cleanly');
    // An orphaned server would still answer here.
    expect(await answers(url)).toBe(false);
  }, 180_000);
});
