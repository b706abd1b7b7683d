import type { TaskRecord } from '../model/task-record.js';

/** Longest error message or stack kept on a record the store refused. */
const MAX_TEXT = 4096;

function cut(text: string | null): string | null {
  return text !== null && text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (cut)` : text;
}

/**
 * Takes out of a record what can make a store refuse it although its
 * arguments were checked at enqueue: log lines, the result, very long
 * error texts. The record keeps its status and arguments, and says what
 * was dropped and why.
 */
export function slimRecord(record: TaskRecord, reason: string): void {
  record.logs = [
    {
      at: Date.now(),
      message: `logs and result dropped: the store refused this record (${cut(reason)})`,
    },
  ];
  record.result = null;
  record.error = cut(record.error);
  record.stack = cut(record.stack);
}
