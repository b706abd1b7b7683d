import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBackendConformance } from '@errand/core/testing';
import { SqliteBackend } from '../src/index.js';

// Each test gets its own database file; connect() opens a second connection to it,
// as a second process on the same host would.
runBackendConformance({
  name: 'sqlite',
  schedulerModule: fileURLToPath(import.meta.resolve('@errand/scheduler')),
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'errand-sqlite-'));
    const path = join(dir, 'tasks.db');
    return {
      connect: () => new SqliteBackend({ path }),
      processBackend: {
        module: new URL('../dist/index.js', import.meta.url).href,
        exportName: 'SqliteBackend',
        options: { path },
      },
      teardown: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
