import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

export default defineConfig({
  ...baseConfig,
  entry: { cli: 'src/cli.ts' },
  // A bin is run, never required: one ESM file, and no declarations to publish.
  format: ['esm'],
  dts: false,
  define: { __ERRAND_CLI_VERSION__: JSON.stringify(version) },
});
