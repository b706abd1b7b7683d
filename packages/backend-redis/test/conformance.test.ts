import { fileURLToPath } from 'node:url';
import { requireService, runBackendConformance } from '@errand/core/testing';
import { RedisBackend } from '../src/index.js';
import { dropPrefix, probeRedis, REDIS_URL, randomPrefix, START_COMMAND } from './redis-service.js';

const available = await requireService('redis', probeRedis, START_COMMAND);

// Each test gets its own key prefix; connect() opens another connection to it,
// as another instance would. Child processes of the chaos cases load the built
// package (turbo builds it before `test`).
runBackendConformance({
  name: 'redis',
  skip: !available,
  schedulerModule: fileURLToPath(import.meta.resolve('@errand/scheduler')),
  async setup() {
    const prefix = randomPrefix();
    return {
      connect: () => new RedisBackend({ url: REDIS_URL, prefix }),
      processBackend: {
        module: new URL('../dist/index.js', import.meta.url).href,
        exportName: 'RedisBackend',
        options: { url: REDIS_URL, prefix },
      },
      teardown: () => dropPrefix(prefix),
    };
  },
});
