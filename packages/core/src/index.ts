export type {
  BackendContext,
  ClaimRequest,
  InstanceInfo,
  Logger,
  SnapshotBackend,
  WriteResult,
} from './backend.js';
export * from './errors/index.js';
export { MemoryBackend, type MemoryBackendOptions } from './memory-backend.js';
export { MemoryScheduleStore } from './memory-schedule-store.js';
export {
  compareNewestFirst,
  decodeCursor,
  emptyCounts,
  encodeCursor,
  matchesQuery,
  normalizeQuery,
  toPage,
} from './query-filter.js';
export type { JobRunOutcome, ScheduleStore, StoredJob, StoredTrigger } from './schedule-store.js';
export { newTaskId } from './task-id.js';
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
