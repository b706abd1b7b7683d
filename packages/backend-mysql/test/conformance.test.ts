import { fileURLToPath } from 'node:url';
import { requireService, runBackendConformance, runWriteHintCases } from '@errand/core/testing';
import { runScheduleConformance } from '@errand/scheduler/testing';
import * as vitest from 'vitest';
import { MysqlBackend } from '../src/index.js';
import { admin, createDatabase, SERVER_URL, START_COMMAND } from './helpers.js';

const available = await requireService(
  'MySQL/MariaDB',
  async () => {
    const connection = await admin();
    await connection.end();
  },
  START_COMMAND,
);

const server = new URL(SERVER_URL);

const target = {
  name: 'mysql',
  capabilities: MysqlBackend.capabilities,
  skip: !available,
  network: { endpoint: { host: server.hostname, port: Number(server.port || 3306) } },
  async setup() {
    const database = await createDatabase();
    const options = { url: database.url, connectionLimit: 4 };
    return {
      connect: () => new MysqlBackend(options),
      teardown: () => database.drop(),
      // The same database through another host and port (the suite's stalling proxy).
      connectThrough(host: string, port: number, { operationTimeout }: { operationTimeout: number }) {
        const url = new URL(database.url);
        url.hostname = host;
        url.port = String(port);
        return new MysqlBackend({ url: url.toString(), connectionLimit: 4, operationTimeout });
      },
      // Child processes load the built package (turbo builds it before `test`).
      processBackend: {
        module: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
        exportName: 'MysqlBackend',
        options,
      },
    };
  },
};

runBackendConformance(target, vitest);
runWriteHintCases(target, vitest);
runScheduleConformance(target, vitest);
