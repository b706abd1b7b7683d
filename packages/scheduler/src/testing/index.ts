/**
 * `@errand/scheduler/testing`: the conformance cases of the scheduler's
 * storage (`backend.schedules`), which every backend that supports the
 * scheduler runs unchanged, beside `@errand/core/testing`.
 *
 * ```ts
 * import * as vitest from 'vitest';
 * import { runScheduleConformance } from '@errand/scheduler/testing';
 * runScheduleConformance(target, vitest); // the same target as runBackendConformance
 * ```
 */
import type { ConformanceTarget, TestApi } from '@errand/core/testing';
import { scheduleCases } from './schedule-cases.js';
import { tickChaosCases } from './tick-chaos-cases.js';

export { makeJob } from './schedule-cases.js';
export { runTickChaos, type TickChaosReport } from './tick-chaos.js';

/** Registers the schedule-store cases, and the multi-process tick case for a shared store. */
export function runScheduleConformance(target: ConformanceTarget, t: TestApi): void {
  scheduleCases(target, t);
  tickChaosCases(target, t);
}
