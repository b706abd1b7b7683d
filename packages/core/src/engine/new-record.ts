import { InvalidArgumentsError } from '../errors/invalid-arguments-error.js';
import { UnknownTaskError } from '../errors/unknown-task-error.js';
import { jsonByteLength, measureJsonValue } from '../model/json-value.js';
import { newTaskId } from '../model/task-id.js';
import type { TaskRecord } from '../model/task-record.js';
import {
  checkIdempotencyKey,
  checkTags,
  type EnqueueOptions,
  resolveExpiresAt,
  resolvePriority,
  resolveRunAt,
} from '../options/index.js';
import type { Runtime } from './runtime.js';

/**
 * The pending record of one `enqueue()`, with every check that can fail
 * done here, before anything is stored: the task is defined, its arguments
 * round-trip through JSON and fit `maxArgsBytes`, its time is one a store
 * can hold, its key and tags are valid.
 */
export function buildRecord(
  runtime: Runtime,
  name: string,
  args: unknown[],
  options: EnqueueOptions,
): TaskRecord {
  const definition = runtime.definitions.get(name);
  if (!definition) throw new UnknownTaskError(`no task named "${name}" is defined`);
  if (!Array.isArray(args)) throw new InvalidArgumentsError('args', 'is not an array');
  const max = runtime.options.maxArgsBytes;
  // The cheap bound first: the exact size is computed only for large arguments.
  if (measureJsonValue(args, 'args') > max) {
    const bytes = jsonByteLength(args);
    if (bytes > max) {
      throw new InvalidArgumentsError('args', `are ${bytes} bytes of JSON, more than maxArgsBytes (${max})`);
    }
  }
  const now = Date.now();
  const runAt = resolveRunAt(options, now);
  return {
    id: newTaskId(now),
    name,
    queue: definition.options.queue,
    priority: resolvePriority(options, definition.options.priority),
    tags: checkTags(options.tags),
    args: args.slice(),
    status: 'pending',
    attempt: 0,
    maxAttempts: definition.options.retries + 1,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    duration: null,
    runAt,
    expiresAt: resolveExpiresAt(options, runAt),
    error: null,
    stack: null,
    logs: [],
    progress: null,
    result: null,
    idempotencyKey: checkIdempotencyKey(options.idempotencyKey),
    owner: runtime.instanceId,
    requeueOnInterrupt: definition.options.requeueOnInterrupt,
    cancelRequested: false,
    headers: {},
  };
}
