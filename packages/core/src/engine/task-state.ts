import type { TaskRecord } from '../model/task-record.js';
import type { ResolvedTaskOptions } from '../options/index.js';

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
 * Why the manager ended a running attempt early:
 * - `cancel`: `cancel()` was called;
 * - `shutdown`: `stop()` ran out of time;
 * - `lease`: this instance could not renew its heartbeat in time, so
 *   another instance may take the task over;
 * - `lost`: the store says another instance owns the task now.
 */
export type AbortReason = 'cancel' | 'shutdown' | 'lease' | 'lost';

/**
 * The manager's live view of one task: the record that gets stored, plus
 * what only this process knows about it.
 */
export interface TaskState {
  record: TaskRecord;
  /** The backend has a row for this task (so its changes must reach it). Written only by persistence. */
  persisted: boolean;
  /** The store refused a write of it: another instance owns it now, nothing of it is written again. */
  lost: boolean;
  location: TaskLocation;
  /** Its place in the delay queue's heap, or -1. */
  heapIndex: number;
  /** Created on the first read of `ctx.signal`: most tasks never read it, and it is costly. */
  controller: AbortController | null;
  /** Ends the running attempt at once with this reason (timeout, cancel, shutdown, lease). */
  interrupt: ((reason: Error) => void) | null;
  /** Why the running attempt was aborted, when the manager aborted it. */
  abortReason: AbortReason | null;
  /** Settles once the task is accepted: its id, or the id of the task that already holds its key. */
  accepted: Promise<string> | null;
}

export function newState(record: TaskRecord): TaskState {
  return {
    record,
    persisted: false,
    lost: false,
    location: 'none',
    heapIndex: -1,
    controller: null,
    interrupt: null,
    abortReason: null,
    accepted: null,
  };
}
