export { describeRelative, describeTrigger } from './describe.js';
export { DuplicateJobError, InvalidJobError, JobNotFoundError } from './errors.js';
export type { JobDefinition } from './job-definition.js';
export type { JobInfo } from './job-info.js';
export type { MissedTicks } from './missed-ticks.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { planTick, type TickInput, type TickPlan } from './tick-plan.js';
