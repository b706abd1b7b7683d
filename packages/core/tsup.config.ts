import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

export default defineConfig({
  ...baseConfig,
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'testing/chaos-worker': 'src/testing/chaos-worker.ts',
    'testing/tick-worker': 'src/testing/tick-worker.ts',
  },
  external: ['vitest'],
  esbuildPlugins: [
    {
      // The testing entry imports core through `../index.js`; resolving that to
      // the package itself keeps one copy of every class (instanceof holds).
      name: 'testing-imports-core',
      setup(build) {
        build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
          args.importer.includes(`${'/'}testing${'/'}`)
            ? { path: '@errand/core', external: true }
            : undefined,
        );
      },
    },
  ],
});
