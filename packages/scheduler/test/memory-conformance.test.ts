import { MemoryBackend } from '@errand/core';
import * as vitest from 'vitest';
import { runScheduleConformance } from '../src/testing/index.js';

// The reference store of `@errand/core` runs the schedule cases too.
runScheduleConformance(
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
