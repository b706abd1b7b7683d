import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

export default defineConfig({
  ...baseConfig,
  entry: {
    index: 'src/index.ts',
    // The trigger in words without croner, for the CLI's cold start.
    describe: 'src/describe.ts',
    'testing/index': 'src/testing/index.ts',
    'testing/tick-worker': 'src/testing/tick-worker.ts',
  },
  esbuildPlugins: [
    {
      // The testing entry imports the scheduler through `../index.js`; resolving that
      // to the package itself keeps one copy of every class (instanceof holds).
      name: 'testing-imports-scheduler',
      setup(build) {
        build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
          args.importer.includes(`${'/'}testing${'/'}`)
            ? { path: '@errand/scheduler', external: true }
            : undefined,
        );
      },
    },
  ],
});
