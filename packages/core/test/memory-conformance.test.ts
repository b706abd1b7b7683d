import * as vitest from 'vitest';
import { MemoryBackend } from '../src/index.js';
import { runBackendConformance } from '../src/testing/index.js';

// The reference backend runs the same suite as every other one.
runBackendConformance(
  {
    name: 'memory',
    capabilities: MemoryBackend.capabilities,
    async setup() {
      const root = new MemoryBackend();
      return {
        connect: () => new MemoryBackend({ sharedWith: root }),
        teardown: async () => {},
      };
    },
  },
  vitest,
);
