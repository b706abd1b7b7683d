import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConformanceTarget, runBackendConformance, runWriteHintCases } from '@errand/core/testing';
import { runScheduleConformance } from '@errand/scheduler/testing';
import * as vitest from 'vitest';
import { SqliteBackend } from '../src/index.js';

// Each test gets its own database file; connect() opens a second connection to it,
// as a second process on the same host would. No network: no stalled-connection cases.
const target: ConformanceTarget = {
  name: 'sqlite',
  capabilities: SqliteBackend.capabilities,
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
};

runBackendConformance(target, vitest);
runWriteHintCases(target, vitest);
runScheduleConformance(target, vitest);
