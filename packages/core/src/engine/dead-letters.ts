import { ErrandError } from '../errors/errand-error.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import type { TaskPage } from '../model/task-query.js';
import { appendLog, type TaskRecord } from '../model/task-record.js';
import type { Engine } from './engine.js';

/** Which dead letters: tasks that failed their last attempt. */
export interface DeadLetterFilter {
  /** One task name or any of several. */
  name?: string | readonly string[];
  /** Created at or after (Date or epoch ms). */
  since?: number | Date;
  /** Created before (Date or epoch ms). */
  until?: number | Date;
  /** One queue or any of several. */
  queue?: string | readonly string[];
  /** Case-insensitive substring of the error message. */
  errorContains?: string;
  /** Tasks carrying every one of these tag pairs. */
  tags?: Record<string, string>;
}

/** `deadLetters()` paging: as `query()`. */
export interface DeadLetterQuery extends DeadLetterFilter {
  /** Page size; default 50, at most 1000. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Options of `replay()`. */
export interface ReplayOptions {
  /** Who asked, kept in the record (a user, a script). Default: this instance's id. */
  by?: string;
  /** With a filter: replay at most this many (newest first). Default 10000. */
  max?: number;
}

/** What `replay()` did. */
export interface ReplayResult {
  /** Tasks sent back to run. */
  replayed: number;
  /** Ids that were not replayed, with why (unknown, not failed any more, key now held...). */
  skipped: Array<{ id: string; reason: string }>;
}

/** Replays at once, each one store write: a handful in flight keeps a bulk replay quick without flooding the store. */
const REPLAY_CONCURRENCY = 8;
const MAX_TAGS = 20;

/** One page of dead letters, newest first. */
export function deadLetters(engine: Engine, query: DeadLetterQuery): Promise<TaskPage> {
  return engine.query({ ...query, status: 'failed' });
}

/**
 * Notes a replay in the record, kept across its later attempts: a log line
 * (who, when, how many attempts it had had, its last error) and the tag
 * `replayedBy` (when the record has room for one more tag), so replayed
 * tasks can be found with `query({ tags: { replayedBy } })`.
 */
function noteReplay(by: string, previous: TaskRecord): (record: TaskRecord) => void {
  return (record) => {
    const at = Date.now();
    appendLog(record, {
      at,
      message: `replayed from the dead letters by ${by}`,
      fields: {
        replayedBy: by,
        replayedAt: new Date(at).toISOString(),
        previousAttempts: previous.attempt,
        previousError: previous.error,
      },
    });
    if ('replayedBy' in record.tags || Object.keys(record.tags).length < MAX_TAGS) {
      record.tags = { ...record.tags, replayedBy: by };
    }
  };
}

async function replayOne(engine: Engine, id: string, by: string): Promise<string | null> {
  const record = await engine.get(id);
  if (!record) return 'unknown task';
  if (record.status !== 'failed') return `it is ${record.status}, not failed`;
  try {
    await engine.retry(id, noteReplay(by, record));
    return null;
  } catch (error) {
    if (error instanceof ErrandError) return error.message;
    throw error;
  }
}

/** Every failed task matching `filter`, newest first, up to `max`. */
async function matchingIds(engine: Engine, filter: DeadLetterFilter, max: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  // Collected before any is replayed: replaying changes the set being paged through.
  do {
    const page = await deadLetters(engine, { ...filter, limit: Math.min(1000, max - ids.length), cursor });
    for (const record of page.records) ids.push(record.id);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && ids.length < max);
  return ids;
}

/**
 * Re-runs failed tasks through the retry path: same id, fresh attempts,
 * logs of the earlier attempts kept, the replay noted in the record.
 * `target` is a list of ids or a dead-letter filter.
 */
export async function replay(
  engine: Engine,
  target: readonly string[] | DeadLetterFilter,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const by = options.by ?? engine.options.instanceId;
  if (typeof by !== 'string' || by === '' || by.length > 200) {
    throw new InvalidOptionError('replay: by must be a string of 1 to 200 characters');
  }
  const max = options.max ?? 10_000;
  if (!Number.isInteger(max) || max < 1)
    throw new InvalidOptionError('replay: max must be a positive integer');
  engine.assertRunning();
  const ids = Array.isArray(target)
    ? [...new Set(target as readonly string[])]
    : await matchingIds(engine, target as DeadLetterFilter, max);
  const result: ReplayResult = { replayed: 0, skipped: [] };
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const reason = await replayOne(engine, id, by);
      if (reason === null) result.replayed++;
      else result.skipped.push({ id, reason });
    }
  };
  await Promise.all(Array.from({ length: Math.min(REPLAY_CONCURRENCY, ids.length) }, worker));
  return result;
}
