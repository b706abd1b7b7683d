import type { ResolvedTaskOptions } from './options.js';
import type { TaskRecord } from './task-record.js';

/** A defined task: its function and resolved options. */
export interface TaskDefinition {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: task functions take any JSON arguments
  fn: (ctx: any, ...args: any[]) => unknown;
  options: ResolvedTaskOptions;
}

/** Where an unfinished task waits. */
export type TaskLocation = 'none' | 'ready' | 'delayed' | 'running';

/**
 * The manager's live view of one task: the record that gets stored, plus
 * what only this process knows about it.
 */
export interface TaskState {
  record: TaskRecord;
  /** The backend has a row for this task (so its changes must reach it). */
  persisted: boolean;
  location: TaskLocation;
  /** Created on the first read of `ctx.signal`: most tasks never read it, and it is costly. */
  controller: AbortController | null;
  /** Ends the running attempt at once with this reason (timeout, cancel, shutdown). */
  interrupt: ((reason: Error) => void) | null;
  /** Why the running attempt was aborted, when the manager aborted it. */
  abortReason: 'cancel' | 'shutdown' | null;
  /** Settles once the task is accepted: its id, or the id of the task that already holds its key. */
  accepted: Promise<string> | null;
}

export function newState(record: TaskRecord): TaskState {
  return {
    record,
    persisted: false,
    location: 'none',
    controller: null,
    interrupt: null,
    abortReason: null,
    accepted: null,
  };
}
