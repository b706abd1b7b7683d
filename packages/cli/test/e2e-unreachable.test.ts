import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errand } from './helpers/binary.js';
import { schemaErrors } from './helpers/schema.js';

const SECRET = 's3cretPassw0rd';

/** A server that accepts connections and never answers: a store that hangs. */
function silentServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0, sockets });
    }),
  );
}

/** A port nothing listens on: connection refused. */
async function closedPort(): Promise<number> {
  const { server, port } = await silentServer();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('errand health against a store it cannot reach', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  let refused: number;

  beforeAll(async () => {
    silent = await silentServer();
    refused = await closedPort();
  });

  afterAll(async () => {
    for (const socket of silent.sockets) socket.destroy();
    await new Promise((resolve) => silent.server.close(resolve));
  });

  const urls = (port: number) => [
    `postgres://app:${SECRET}@127.0.0.1:${port}/prod`,
    `mysql://app:${SECRET}@127.0.0.1:${port}/prod`,
    `redis://:${SECRET}@127.0.0.1:${port}`,
  ];

  it('is unhealthy (exit 1) when the connection is refused, with the password masked', async () => {
    for (const url of urls(refused)) {
      const ran = await errand(['health', '--store', url, '--timeout', '3s']);
      expect(ran.code, `${url}: ${ran.stdout}${ran.stderr}`).toBe(1);
      expect(ran.stdout).toMatch(/^unhealthy: store unreachable: /);
      expect(ran.stdout + ran.stderr).not.toContain(SECRET);
    }
  });

  it('gives up within --timeout on a store that never answers, and says so', async () => {
    for (const url of urls(silent.port)) {
      const ran = await errand(['health', '--store', url, '--timeout', '1s']);
      expect(ran.code, `${url}: ${ran.stdout}${ran.stderr}`).toBe(1);
      expect(ran.stdout).toMatch(/^unhealthy: .*(within 1s|timeout|timed out)/i);
      // Process start, the driver's load, the second of waiting and the exit; a hang would take minutes.
      expect(ran.ms).toBeLessThan(4000);
      expect(ran.stdout + ran.stderr).not.toContain(SECRET);
    }
  });

  it('still prints the whole --json object, schema v1, password masked', async () => {
    const ran = await errand(['health', '--json', '--store', urls(refused)[0]!, '--timeout', '2s']);
    expect(ran.code).toBe(1);
    const json = JSON.parse(ran.stdout);
    expect(schemaErrors(json)).toEqual([]);
    expect(json).toMatchObject({
      status: 'unhealthy',
      store: { url: `postgres://app:***@127.0.0.1:${refused}/prod` },
    });
    expect(ran.stdout).not.toContain(SECRET);
  });

  it('is unhealthy when the SQLite file does not exist, and creates none', async () => {
    const ran = await errand(['health', '--store', 'sqlite:/nonexistent/dir/tasks.db']);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/^unhealthy: sqlite:\/nonexistent\/dir\/tasks.db: no such database file/);
  });

  it('exits 64 on usage errors: an unknown store scheme, a bad probe, no store at all', async () => {
    expect((await errand(['health', '--store', 'mongodb://h/db'])).code).toBe(64);
    expect((await errand(['health', '--store', 'sqlite:x.db', '--probe', 'startup'])).code).toBe(64);
    expect((await errand(['health'], { ERRAND_STORE_URL: '' })).code).toBe(64);
  });
});

describe('errand without the backend package its store needs', () => {
  it('says in one line which package to install (exit 1)', () => {
    // An installation with the CLI, core and the scheduler only, outside the workspace.
    const here = dirname(fileURLToPath(import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'errand-cli-alone-'));
    try {
      const scope = join(dir, 'node_modules', '@errand');
      mkdirSync(join(scope, 'cli'), { recursive: true });
      cpSync(join(here, '..', 'dist'), join(scope, 'cli', 'dist'), { recursive: true });
      cpSync(join(here, '..', 'package.json'), join(scope, 'cli', 'package.json'));
      symlinkSync(join(here, '..', '..', 'core'), join(scope, 'core'));
      symlinkSync(join(here, '..', '..', 'scheduler'), join(scope, 'scheduler'));
      const bin = join(scope, 'cli', 'dist', 'cli.js');
      writeFileSync(join(dir, 'tasks.db'), ''); // it exists: the package is what is missing
      for (const [url, name] of [
        [`redis://:${SECRET}@127.0.0.1:6379`, '@errand/backend-redis'],
        ['sqlite:./tasks.db', '@errand/backend-sqlite'],
      ] as const) {
        const ran = spawnSync(process.execPath, [bin, 'health', '--store', url], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(ran.status).toBe(1);
        expect(ran.stdout).toBe(
          `unhealthy: a ${url.split(':')[0]} store needs ${name}: run npm install ${name}\n`,
        );
        expect(ran.stdout + ran.stderr).not.toContain(SECRET);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
