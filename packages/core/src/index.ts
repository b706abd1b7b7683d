export type {
  Aggregate,
  AggregateRequest,
  BackendCapabilities,
  BackendContext,
  CancelOutcome,
  ClaimRequest,
  HeartbeatReply,
  InstanceInfo,
  Logger,
  PurgeRequest,
  QueueOverride,
  QueueOverridePatch,
  SnapshotBackend,
  WriteHints,
  WriteKind,
  WriteResult,
} from './backend/backend.js';
export { keepSubscribed, type ResubscribeOptions, type Subscription } from './backend/resubscribe.js';
export type {
  JobRunOutcome,
  ScheduleStore,
  StoredJob,
  StoredTrigger,
  TickClaim,
  TickClaimResult,
} from './backend/schedule-store.js';
export {
  DEFAULT_OPERATION_TIMEOUT,
  resolveOperationTimeout,
  StoreCaller,
  type StoreCallerOptions,
} from './backend/store-call.js';
export {
  cancelInStore,
  enqueueInStore,
  RETRYABLE_STATUSES,
  retriedRecord,
  retryInStore,
  runJobNow,
} from './backend/store-control.js';
export { EncryptedBackend } from './encryption/encrypted-backend.js';
export type { EncryptedField, EncryptionOptions } from './encryption/keyring.js';
export type { ReencryptOptions, ReencryptReport } from './encryption/reencrypt.js';
export type { BulkItem } from './engine/bulk.js';
export type {
  DeadLetterFilter,
  DeadLetterQuery,
  ReplayOptions,
  ReplayResult,
} from './engine/dead-letters.js';
export type { DurationStats, Overview, Series, SeriesBucket } from './engine/insights.js';
export { type InstanceHealth, instanceHealth } from './engine/instance-health.js';
export type { Middleware } from './engine/middleware.js';
export type { QueueView } from './engine/queues.js';
export { retryDelay } from './engine/retry.js';
export type { ManagerState } from './engine/runtime.js';
export type { StopOnSignalsOptions } from './engine/stop-on-signals.js';
export type { TaskContext } from './engine/task-context.js';
export { currentTask } from './engine/task-context-storage.js';
export { type DeclaredTask, type DeclaredTasks, type TaskHandles, task } from './engine/task-handle.js';
export { TaskManager, type TaskManagerOptions } from './engine/task-manager.js';
export type { TestingHelpers } from './engine/testing-mode.js';
export type {
  ArgsFor,
  IsJson,
  JsonValue,
  RequireJsonParameters,
  TaskArgs,
  TaskFunction,
  TaskMap,
  TaskName,
  TaskResult,
  TypedTaskRecord,
} from './engine/typed-tasks.js';
export type {
  EnqueueParams,
  ManagerComponent,
  ManagerStats,
  StopOptions,
  Submission,
  TaskHandle,
  TypedTaskPage,
} from './engine/types.js';
export * from './errors/index.js';
export type { TaskEvents, TaskSnapshot } from './events.js';
export { type AfterResponseOptions, afterResponse, type ResponseTarget } from './http/after-response.js';
export { defaultLogger, silentLogger } from './logger.js';
export { MemoryBackend, type MemoryBackendOptions } from './memory/memory-backend.js';
export { MemoryScheduleStore } from './memory/memory-schedule-store.js';
export { aggregateRecords, SERIES_WINDOWS, type SeriesWindow } from './model/aggregate.js';
export { ATTEMPT_FIELD, type EndedAttempt, endedAttempts } from './model/attempt-line.js';
export {
  applyClaim,
  CLAIMABLE_STATUSES,
  isClaimable,
  LOST_OWNER_PREFIX,
  LOST_OWNER_SUFFIX,
  lostOwnerError,
  NO_OWNER,
} from './model/claim-rules.js';
export {
  decodeFields,
  encodeFields,
  type FieldCodec,
  type FieldKind,
  type FieldSpec,
  JOB_FIELDS,
  TASK_FIELDS,
  TEXT_JSON_CODEC,
} from './model/fields.js';
export { assertJsonValue } from './model/json-value.js';
export {
  compareNewestFirst,
  decodeCursor,
  emptyCounts,
  encodeCursor,
  matchesQuery,
  normalizeQuery,
  toPage,
} from './model/query-filter.js';
export { newTaskId } from './model/task-id.js';
export type { NormalizedTaskQuery, StatusCounts, TaskPage, TaskQuery } from './model/task-query.js';
export {
  cloneRecord,
  FINISHED_STATUSES,
  holdsKey,
  isFinished,
  KEY_HOLDING_STATUSES,
  normalizeTags,
  TASK_STATUSES,
  type TaskLogLine,
  type TaskRecord,
  type TaskStatus,
  UNFINISHED_STATUSES,
} from './model/task-record.js';
export { type FileObserver, type FileObserverOptions, fileObserver } from './observe/file-observer.js';
export { type MemoryObserver, memoryObserver } from './observe/memory-observer.js';
export type { Observer, ObserverLevel, TaskEvent, TaskEventType } from './observe/observer.js';
export { type PinoLike, pinoObserver } from './observe/pino-observer.js';
export { type StdoutObserverOptions, stdoutObserver } from './observe/stdout-observer.js';
export {
  DEFAULT_RETENTION,
  type Dispatch,
  type Durability,
  type EnqueueOptions,
  type ManagerOptions,
  type QueueOptions,
  type RetentionOptions,
  type TaskOptions,
} from './options/index.js';
export type { ObservabilityOptions } from './options/observability-options.js';
export type { FlushHealth } from './persistence/write-batcher.js';
export type { ThreadPoolOptions } from './threads/thread-pool.js';
export type { ThreadTaskOptions } from './threads/thread-task.js';
