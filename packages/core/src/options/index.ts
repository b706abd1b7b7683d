export { duration, integer, label, MAX_TIME_MS, MAX_TIMER_MS, positive } from './checks.js';
export {
  checkIdempotencyKey,
  checkTags,
  type EnqueueOptions,
  resolveExpiresAt,
  resolvePriority,
  resolveRunAt,
} from './enqueue-options.js';
export {
  type Durability,
  type ManagerOptions,
  type ResolvedManagerOptions,
  resolveManagerOptions,
} from './manager-options.js';
export {
  DEFAULT_RETENTION,
  type QueueOptions,
  type ResolvedQueue,
  type RetentionOptions,
  resolveQueues,
  resolveRetention,
} from './queue-options.js';
export {
  checkDispatch,
  checkPriority,
  type Dispatch,
  type ResolvedTaskOptions,
  resolveTaskOptions,
  type TaskOptions,
} from './task-options.js';
