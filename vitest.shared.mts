import { defineConfig } from 'vitest/config';

/**
 * The test settings every package shares. Each run also writes
 * `.vitest-results.json`, which `scripts/test-summary.mjs` reads to show, per
 * package and per backend, how many tests really ran.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files of one package share one real server; one at a time keeps timing tests honest.
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
