import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

export default defineConfig({
  ...baseConfig,
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'testing/chaos-worker': 'src/testing/chaos-worker.ts',
    'testing/fleet-worker': 'src/testing/fleet-worker.ts',
    'metrics/index': 'src/metrics/index.ts',
  },
  external: ['vitest'],
  // The worker of thread tasks is plain JavaScript that worker threads load as a file.
  async onSuccess() {
    await cp('src/threads/thread-worker.mjs', 'dist/threads/thread-worker.mjs');
  },
  esbuildPlugins: [
    {
      // The testing and metrics entries import core through `../index.js`; resolving that to
      // the package itself keeps one copy of every class (instanceof holds).
      name: 'testing-imports-core',
      setup(build) {
        build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
          args.importer.includes(`${'/'}testing${'/'}`) || args.importer.includes(`${'/'}metrics${'/'}`)
            ? { path: '@errand/core', external: true }
            : undefined,
        );
      },
    },
  ],
});
