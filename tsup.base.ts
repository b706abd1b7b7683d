import type { Options } from 'tsup';

/**
 * The one build configuration every published package spreads, so that a
 * later move to another bundler changes one file.
 */
export const baseConfig = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  treeshake: true,
} satisfies Options;
