import { fileURLToPath } from 'node:url';
import { requireService, runBackendConformance } from '@errand/core/testing';
import { PostgresBackend } from '../src/index.js';
import { dropSchema, POSTGRES_URL, probe, randomSchema, START_COMMAND } from './helpers.js';

const available = await requireService('postgres', probe, START_COMMAND);

runBackendConformance({
  name: 'postgres',
  skip: !available,
  schedulerModule: fileURLToPath(import.meta.resolve('@errand/scheduler')),
  async setup() {
    const schema = randomSchema();
    const options = { connectionString: POSTGRES_URL, max: 4, schema };
    return {
      connect: () => new PostgresBackend(options),
      teardown: () => dropSchema(schema),
      // Child processes load the built package (turbo builds it before `test`).
      processBackend: {
        module: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
        exportName: 'PostgresBackend',
        options,
      },
    };
  },
});
