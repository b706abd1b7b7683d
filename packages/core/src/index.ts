export type {
  BackendContext,
  ClaimRequest,
  InstanceInfo,
  Logger,
  SnapshotBackend,
  WriteResult,
} from './backend.js';
export * from './errors/index.js';
export type { TaskEvents, TaskSnapshot } from './events.js';
export type { FlushHealth } from './flush-scheduler.js';
export { assertJsonValue } from './json-value.js';
export { MemoryBackend, type MemoryBackendOptions } from './memory-backend.js';
export { MemoryScheduleStore } from './memory-schedule-store.js';
export type { Durability, EnqueueOptions, ManagerOptions, TaskOptions } from './options.js';
export {
  compareNewestFirst,
  decodeCursor,
  emptyCounts,
  encodeCursor,
  matchesQuery,
  normalizeQuery,
  toPage,
} from './query-filter.js';
export { retryDelay } from './retry.js';
export type { JobRunOutcome, ScheduleStore, StoredJob, StoredTrigger, TickClaim } from './schedule-store.js';
export type { TaskContext } from './task-context.js';
export { newTaskId } from './task-id.js';
export {
  type ManagerComponent,
  type ManagerState,
  type ManagerStats,
  type StopOptions,
  type TaskFunction,
  type TaskHandle,
  TaskManager,
} from './task-manager.js';
export type { NormalizedTaskQuery, StatusCounts, TaskPage, TaskQuery } from './task-query.js';
export {
  cloneRecord,
  FINISHED_STATUSES,
  holdsKey,
  isFinished,
  KEY_HOLDING_STATUSES,
  TASK_STATUSES,
  type TaskLogLine,
  type TaskRecord,
  type TaskStatus,
  UNFINISHED_STATUSES,
} from './task-record.js';
