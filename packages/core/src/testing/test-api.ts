import type { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * The test functions the conformance suite registers its cases with. The
 * suite never imports a test runner itself (as keyv's test suite does), so
 * it loads from ESM and CommonJS alike: pass vitest's, or any runner's with
 * the same shape.
 *
 * ```ts
 * import * as vitest from 'vitest';
 * runBackendConformance(target, vitest);
 * ```
 */
export interface TestApi {
  describe: typeof describe;
  it: typeof it;
  expect: typeof expect;
  beforeEach: typeof beforeEach;
  afterEach: typeof afterEach;
}

/** `describe`, or `describe.skip` when the target's service is not reachable. */
export function suite(t: TestApi, skip: boolean | undefined): TestApi['describe'] {
  return skip ? (t.describe.skip as TestApi['describe']) : t.describe;
}
