import type { TaskLogLine, TaskRecord } from './task-record.js';

/**
 * The field that marks core's own log line for an attempt that ended
 * without finishing the task (it failed with retries left, or lost its
 * lease and runs again). The record keeps only its latest attempt's times,
 * so these lines are how the earlier ones stay known: when each started and
 * ended, where it ran, how it failed.
 */
export const ATTEMPT_FIELD = 'errand.attempt';

/** What an attempt line holds, read back by `attemptsOf()`. */
export interface EndedAttempt {
  number: number;
  startedAt: number | null;
  finishedAt: number;
  instance: string | null;
  error: string | null;
}

/** The log line for the attempt `record` just ended, run again in `retryIn` ms. */
export function endedAttemptLine(record: TaskRecord, at: number, retryIn: number): TaskLogLine {
  const wait = retryIn < 1000 ? `${retryIn} ms` : `${(retryIn / 1000).toFixed(1)} s`;
  return {
    at,
    message: `attempt ${record.attempt} of ${record.maxAttempts} ended: ${record.error}; runs again in ${wait}`,
    fields: {
      [ATTEMPT_FIELD]: record.attempt,
      startedAt: record.startedAt,
      finishedAt: at,
      instance: record.owner,
      error: record.error,
    },
  };
}

/**
 * The earlier attempts of the record's current run, from its attempt lines
 * (the latest line of each number: a replayed or retried task counts again
 * from 1). Numbers with no line (logged before this existed) are missing.
 */
export function endedAttempts(record: TaskRecord): EndedAttempt[] {
  const found = new Map<number, EndedAttempt>();
  for (const line of record.logs) {
    const number = line.fields?.[ATTEMPT_FIELD];
    if (typeof number !== 'number' || number >= record.attempt) continue;
    const fields = line.fields!;
    found.set(number, {
      number,
      startedAt: typeof fields.startedAt === 'number' ? fields.startedAt : null,
      finishedAt: line.at,
      instance: typeof fields.instance === 'string' ? fields.instance : null,
      error: typeof fields.error === 'string' ? fields.error : null,
    });
  }
  return [...found.values()].sort((a, b) => a.number - b.number);
}
