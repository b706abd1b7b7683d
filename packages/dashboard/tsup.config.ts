import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

export default defineConfig({
  ...baseConfig,
  entry: {
    index: 'src/index.ts',
    node: 'src/adapters/node.ts',
    fastify: 'src/adapters/fastify.ts',
  },
  esbuildPlugins: [
    {
      // The adapters import the dashboard through `../index.js`; resolving that to the
      // package itself keeps one copy of every class (instanceof holds across entries).
      name: 'adapters-import-dashboard',
      setup(build) {
        build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
          args.importer.includes(`${'/'}adapters${'/'}`)
            ? { path: '@errand/dashboard', external: true }
            : undefined,
        );
      },
    },
  ],
});
