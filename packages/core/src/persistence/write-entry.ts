import type { WriteKind } from '../backend/backend.js';
import type { TaskState } from '../engine/task-state.js';
import type { BackendError } from '../errors/backend-error.js';
import { cloneRecord, type TaskRecord } from '../model/task-record.js';

/**
 * Outcome of a required write: stored; refused because another task holds
 * the key; or fenced, because another instance owns the task now.
 */
export type WriteOutcome =
  | { status: 'stored' }
  | { status: 'conflict'; existingId: string }
  | { status: 'fenced' };

export interface Waiter {
  state: TaskState;
  resolve: (outcome: WriteOutcome) => void;
  reject: (error: BackendError) => void;
  /** Runs once, just before the record is copied into its batch (see `require`). */
  prepare?: () => void;
}

/**
 * One record of a batch: the copy written, its live state, and the callers waiting on it. Its kind
 * is read when the copy is taken: a record this instance stored already is a transition.
 */
export interface Entry {
  record: TaskRecord;
  state: TaskState;
  waiters: Waiter[];
  kind: WriteKind;
}

/** A batch entry for the state as it is now (every change since it was queued collapses into this copy). */
export function entryOf(state: TaskState, waiters: Waiter[]): Entry {
  return {
    record: cloneRecord(state.record),
    state,
    waiters,
    kind: state.persisted ? 'transition' : 'insert',
  };
}
