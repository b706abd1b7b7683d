import { MemoryBackend } from '../src/index.js';
import { runBackendConformance } from '../src/testing/index.js';

// The reference backend runs the same suite as every other one.
runBackendConformance({
  name: 'memory',
  // One process's memory cannot be shared with another process.
  multiProcess: false,
  async setup() {
    const root = new MemoryBackend();
    return {
      connect: () => new MemoryBackend({ sharedWith: root }),
      teardown: async () => {},
    };
  },
});
