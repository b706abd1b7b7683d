import { fileURLToPath } from 'node:url';
import { requireService, runBackendConformance, runWriteHintCases } from '@errand/core/testing';
import { runScheduleConformance } from '@errand/scheduler/testing';
import * as vitest from 'vitest';
import { PostgresBackend } from '../src/index.js';
import { dropSchema, POSTGRES_URL, probe, randomSchema, START_COMMAND } from './helpers.js';

const available = await requireService('postgres', probe, START_COMMAND);
const server = new URL(POSTGRES_URL);

const target = {
  name: 'postgres',
  capabilities: PostgresBackend.capabilities,
  skip: !available,
  network: { endpoint: { host: server.hostname, port: Number(server.port || 5432) } },
  async setup() {
    const schema = randomSchema();
    const options = { connectionString: POSTGRES_URL, max: 4, schema };
    return {
      connect: () => new PostgresBackend(options),
      teardown: () => dropSchema(schema),
      // The same schema over another path: the suite puts a proxy that can stall there.
      connectThrough(host: string, port: number, through: { operationTimeout: number }) {
        const url = new URL(POSTGRES_URL);
        url.hostname = host;
        url.port = String(port);
        return new PostgresBackend({ ...options, connectionString: url.toString(), ...through });
      },
      // Child processes load the built package (turbo builds it before `test`).
      processBackend: {
        module: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
        exportName: 'PostgresBackend',
        options,
      },
    };
  },
};

runBackendConformance(target, vitest);
runWriteHintCases(target, vitest);
runScheduleConformance(target, vitest);
