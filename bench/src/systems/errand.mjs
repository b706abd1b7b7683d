// Errand: in memory, or one of its four backends in `snapshot` or `durable` mode.
import { TaskManager } from '@errand/core';
import { mysqlUrlFor, PG_URL, REDIS_URL, sqlitePathFor } from '../services.mjs';
import { once, waitFor } from './system.mjs';

/**
 * Creates the backend named `kind` inside the namespace (undefined for memory).
 * @param {string} kind
 * @param {string} namespace
 */
export async function createBackend(kind, namespace) {
  switch (kind) {
    case 'memory':
      return undefined;
    case 'sqlite': {
      const { mkdir } = await import('node:fs/promises');
      const { dirname } = await import('node:path');
      const path = sqlitePathFor(namespace);
      await mkdir(dirname(path), { recursive: true });
      const { SqliteBackend } = await import('@errand/backend-sqlite');
      return new SqliteBackend({ path });
    }
    case 'redis': {
      const { RedisBackend } = await import('@errand/backend-redis');
      return new RedisBackend(REDIS_URL, { prefix: `${namespace}:` });
    }
    case 'postgres': {
      const { PostgresBackend } = await import('@errand/backend-postgres');
      return new PostgresBackend(PG_URL, { schema: namespace });
    }
    case 'mysql': {
      const { MysqlBackend } = await import('@errand/backend-mysql');
      return new MysqlBackend(mysqlUrlFor(namespace));
    }
    default:
      throw new Error(`unknown Errand backend ${kind}`);
  }
}

/**
 * @param {string} variant `memory`, or `<backend>-<snapshot|durable>`
 * @param {import('./system.mjs').SystemContext} context
 * @returns {Promise<import('./system.mjs').System & { manager: TaskManager }>}
 */
export async function createErrand(variant, { namespace, concurrency }) {
  const [kind, durability = 'snapshot'] = variant.split('-');
  const backend = await createBackend(kind, namespace);
  const manager = new TaskManager({ backend, durability, concurrency, logger: false });
  let finished = 0;
  manager.on('success', () => {
    finished++;
  });
  let handle = null;
  const stop = once(() => manager.stop());
  return {
    manager,
    async start(onStart) {
      handle = manager.define('noop', async (_ctx, payload) => {
        onStart(payload.i);
      });
      await manager.start();
    },
    enqueue: (i) => manager.enqueue('noop', [{ i }]),
    enqueueMany: (from, count) =>
      handle.enqueueMany(Array.from({ length: count }, (_, k) => [[{ i: from + k }]])),
    completed: () => finished,
    settled: (n) => waitFor(() => finished >= n, 1),
    async drained(n) {
      await waitFor(() => finished >= n, 1);
      // Finished records reach the backend: stop() ends with the final flush.
      await stop();
    },
    stop,
  };
}
