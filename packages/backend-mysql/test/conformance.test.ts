import { fileURLToPath } from 'node:url';
import { requireService, runBackendConformance } from '@errand/core/testing';
import { MysqlBackend } from '../src/index.js';
import { admin, createDatabase, START_COMMAND } from './helpers.js';

const available = await requireService(
  'MySQL/MariaDB',
  async () => {
    const connection = await admin();
    await connection.end();
  },
  START_COMMAND,
);

runBackendConformance({
  name: 'mysql',
  skip: !available,
  schedulerModule: fileURLToPath(import.meta.resolve('@errand/scheduler')),
  async setup() {
    const database = await createDatabase();
    const options = { url: database.url, connectionLimit: 4 };
    return {
      connect: () => new MysqlBackend(options),
      teardown: () => database.drop(),
      // Child processes load the built package (turbo builds it before `test`).
      processBackend: {
        module: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
        exportName: 'MysqlBackend',
        options,
      },
    };
  },
});
