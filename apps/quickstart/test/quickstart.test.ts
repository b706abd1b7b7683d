import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errandImports, readQuickStart } from './readme-quick-start.js';
import { freshEnv, run } from './run.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const consumerTemplate = fileURLToPath(new URL('../consumer', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'errand-quickstart-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves with the first match of `pattern` in the process's output, or rejects. */
function waitForOutput(
  child: ChildProcess,
  read: () => string,
  pattern: RegExp,
  ms: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(read());
      if (!match) return false;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve(match[1] ?? match[0]);
      return true;
    };
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms:\n${read()}`)), ms);
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${read()}`)));
    check();
  });
}

describe("the README's Quick start, from the packed packages", () => {
  it('compiles with strict TypeScript, serves, runs a task and stops cleanly on SIGTERM', async () => {
    const quickStart = readQuickStart(join(root, 'README.md'));
    const imported = errandImports(quickStart.program);
    console.log(`[quickstart] the Quick start imports ${imported.join(', ')}`);
    expect(imported.length).toBeGreaterThan(0);
    for (const name of imported) expect(quickStart.install, `install line names ${name}`).toContain(name);

    // What npm would publish, from the dist/ that turbo built before this test.
    const packed = JSON.parse(
      (
        await run(process.execPath, [join(root, 'scripts/pack-packages.mjs'), join(dir, 'tarballs')], {
          cwd: root,
          timeoutMs: 120_000,
        })
      ).stdout,
    ) as Array<{ name: string; tarball: string }>;

    // A fresh project outside the repository: "type": "module", strict, skipLibCheck: false.
    const project = join(dir, 'project');
    await cp(consumerTemplate, project, { recursive: true });
    await writeFile(join(project, 'src', 'main.ts'), quickStart.program);
    const rootManifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const devDependencies = rootManifest.devDependencies as Record<string, string>;
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        ...packed.map(({ tarball }) => tarball),
        `typescript@${devDependencies.typescript}`,
        `@types/node@${devDependencies['@types/node']}`,
      ],
      // better-sqlite3 compiles here (about 100 s on two idle cores): let node-gyp use every core,
      // and allow for a machine that is busy with other work.
      { cwd: project, env: freshEnv({ JOBS: 'max' }), timeoutMs: 480_000 },
    );
    await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: project,
      timeoutMs: 60_000,
    });

    console.log(`[quickstart] (${project}) $ PORT=0 node dist/main.js`);
    const server = spawn(process.execPath, ['dist/main.js'], {
      cwd: project,
      env: freshEnv({ PORT: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    try {
      const url = await waitForOutput(server, () => output, /listening on (http:\/\/\S+)/, 20_000);
      console.log(`[quickstart] serving at ${url}`);

      const signup = await fetch(`${url}/signup?email=ada@example.com`, { method: 'POST' });
      expect(signup.status).toBe(202);
      const { id } = (await signup.json()) as { id: string };
      await waitForOutput(server, () => output, /welcome mail sent to ada@example\.com/, 10_000);
      const failed = await fetch(`${url}/failed`);
      expect(failed.status).toBe(200);
      expect(await failed.json()).toEqual([]);
      // SQLite created ./data on its own (a fresh project has none).
      expect(existsSync(join(project, 'data', 'tasks.db'))).toBe(true);

      console.log(`[quickstart] $ kill -TERM ${server.pid}`);
      server.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise((resolve) => setTimeout(resolve, 15_000, 'still running')),
      ]);
      expect(code, `exit after SIGTERM; output:\n${output}`).toBe(0);
      console.log(`[quickstart] exited with 0 after SIGTERM; its output:\n${output.trim()}`);

      // The task's record survived the stop: read it with the project's own better-sqlite3.
      const row = await run(
        process.execPath,
        [
          '-e',
          `const db = require('better-sqlite3')('data/tasks.db', { readonly: true });
           console.log(JSON.stringify(db.prepare('SELECT name, status FROM errand_tasks WHERE id = ?').get(${JSON.stringify(id)})));`,
        ],
        { cwd: project, timeoutMs: 30_000 },
      );
      expect(JSON.parse(row.stdout)).toEqual({ name: 'sendWelcome', status: 'success' });
    } finally {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    }
  }, 660_000);
});
