/**
 * `@errand/core/testing`: the conformance suite every backend runs unchanged.
 *
 * ```ts
 * // test/conformance.test.ts of a backend package
 * import * as vitest from 'vitest';
 * import { runBackendConformance } from '@errand/core/testing';
 * runBackendConformance(
 *   {
 *     name: 'sqlite',
 *     capabilities: SqliteBackend.capabilities,
 *     async setup() {
 *       const path = tempFile();
 *       return { connect: () => new SqliteBackend({ path }), teardown: () => rm(path) };
 *     },
 *   },
 *   vitest,
 * );
 * ```
 *
 * The suite takes the test functions as a parameter and never imports a
 * test runner, so this entry loads from ESM and CommonJS alike.
 */
import { aggregateCases } from './aggregate-cases.js';
import type { ConformanceTarget } from './fixtures.js';
import { fleetCases } from './fleet-cases.js';
import { fleetStoreCases } from './fleet-store-cases.js';
import { flowCases } from './flow-cases.js';
import { flowStoreCases } from './flow-store-cases.js';
import { leaseCases } from './lease-cases.js';
import { managerCases } from './manager-cases.js';
import { openCases } from './open-cases.js';
import { ownershipCases } from './ownership-cases.js';
import { processCases } from './process-cases.js';
import { stallCases } from './stall-cases.js';
import { storageCases } from './storage-cases.js';
import type { TestApi } from './test-api.js';

export { type ChaosOptions, type ChaosReport, type ProcessBackendSpec, runProcessChaos } from './chaos.js';
export { AttemptLog, type AttemptSpan, type FaultyBackend, faulty } from './faulty-backend.js';
export type { ConformanceStore, ConformanceTarget } from './fixtures.js';
export { makeRecord, sleep, waitFor, waitForIdle } from './fixtures.js';
export { type FleetReport, runFleetChaos } from './fleet-chaos.js';
export { requireService } from './service-check.js';
export { StallProxy } from './stall-proxy.js';
export { type StoreHarness, silentLogger, useStore } from './store-harness.js';
export { suite, type TestApi } from './test-api.js';
export { runWriteHintCases } from './write-hint-cases.js';

/** Registers the whole conformance suite for one backend. */
export function runBackendConformance(target: ConformanceTarget, t: TestApi): void {
  storageCases(target, t);
  openCases(target, t);
  leaseCases(target, t);
  aggregateCases(target, t);
  fleetStoreCases(target, t);
  flowStoreCases(target, t);
  stallCases(target, t);
  managerCases(target, t);
  ownershipCases(target, t);
  fleetCases(target, t);
  flowCases(target, t);
  processCases(target, t);
}
