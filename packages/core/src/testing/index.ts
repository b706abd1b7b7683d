/**
 * `@errand/core/testing`: the conformance suite every backend runs unchanged.
 *
 * ```ts
 * // test/conformance.test.ts of a backend package
 * import { runBackendConformance } from '@errand/core/testing';
 * runBackendConformance({
 *   name: 'sqlite',
 *   async setup() {
 *     const path = tempFile();
 *     return { connect: () => new SqliteBackend({ path }), teardown: () => rm(path) };
 *   },
 * });
 * ```
 *
 * Requires vitest (an optional peer dependency of `@errand/core`).
 */
import { backendCases } from './backend-cases.js';
import type { ConformanceTarget } from './fixtures.js';
import { managerCases } from './manager-cases.js';
import { processCases } from './process-cases.js';
import { scheduleCases } from './schedule-cases.js';

export { type ChaosOptions, type ChaosReport, type ProcessBackendSpec, runProcessChaos } from './chaos.js';
export type { ConformanceStore, ConformanceTarget } from './fixtures.js';
export { makeRecord, sleep, waitFor, waitForIdle } from './fixtures.js';
export { makeJob } from './schedule-cases.js';
export { requireService } from './service-check.js';

/** Registers the whole conformance suite for one backend. */
export function runBackendConformance(target: ConformanceTarget): void {
  backendCases(target);
  managerCases(target);
  processCases(target);
  scheduleCases(target);
}
