import type { Options } from 'tsup';

/**
 * The one build configuration every published package spreads, so that a
 * later move to another bundler changes one file.
 */
export const baseConfig = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // Maps point stack traces at src/ lines without carrying the sources
  // (which made up ~65% of each package's unpacked size).
  sourcemap: true,
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  // import.meta.url in the CJS build (the chaos harness locates its worker with it).
  shims: true,
  treeshake: true,
} satisfies Options;
