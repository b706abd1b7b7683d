import { requireService, runBackendConformance } from '@errand/core/testing';
import { runScheduleConformance } from '@errand/scheduler/testing';
import * as vitest from 'vitest';
import { RedisBackend } from '../src/index.js';
import { dropPrefix, probeRedis, REDIS_URL, randomPrefix, START_COMMAND } from './redis-service.js';

const available = await requireService('redis', probeRedis, START_COMMAND);
const { hostname, port } = new URL(REDIS_URL);

// Each test gets its own key prefix; connect() opens another connection to it, as another
// instance would, and connectThrough() one through the suite's stalling proxy. Child processes
// of the chaos cases load the built package (turbo builds it before `test`).
const target = {
  name: 'redis',
  capabilities: RedisBackend.capabilities,
  skip: !available,
  network: { endpoint: { host: hostname, port: Number(port || 6379) } },
  async setup() {
    const prefix = randomPrefix();
    return {
      connect: () => new RedisBackend({ url: REDIS_URL, prefix }),
      connectThrough: (host: string, through: number, options: { operationTimeout: number }) => {
        const url = new URL(REDIS_URL);
        url.hostname = host;
        url.port = String(through);
        return new RedisBackend({ url: url.toString(), prefix, ...options });
      },
      processBackend: {
        module: new URL('../dist/index.js', import.meta.url).href,
        exportName: 'RedisBackend',
        options: { url: REDIS_URL, prefix },
      },
      teardown: () => dropPrefix(prefix),
    };
  },
};

runBackendConformance(target, vitest);
runScheduleConformance(target, vitest);
