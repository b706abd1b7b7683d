import type { StoredJob } from '../backend/schedule-store.js';
import { normalizeTags, type TaskRecord } from './task-record.js';

/**
 * How a field is stored, whatever the store:
 * - `text`: a string;
 * - `int`: a whole number (attempts, priority);
 * - `float`: any finite number (duration, progress);
 * - `time`: epoch milliseconds, a whole number that needs 64 bits;
 * - `bool`: true or false;
 * - `json`: any JSON value, stored as its text;
 * - `tags`: a JSON object of strings (a stored list reads as keys with empty values).
 */
export type FieldKind = 'text' | 'int' | 'float' | 'time' | 'bool' | 'json' | 'tags';

/** One field of a stored shape: its name in JS, its column (or hash field) and its kind. */
export interface FieldSpec<Field extends string = string> {
  field: Field;
  /** Column in the SQL stores, snake_case. */
  column: string;
  kind: FieldKind;
  nullable: boolean;
  /** A history filter or claim reads it, so the stores index it. */
  indexed: boolean;
  /**
   * Set when the record is created and never changed after: a store may leave it out of the update
   * of a `'transition'` write (see `WriteKind`). Core never assigns such a field of a stored record.
   */
  fixed: boolean;
}

function field<F extends string>(
  name: F,
  column: string,
  kind: FieldKind,
  flags: { nullable?: boolean; indexed?: boolean; fixed?: boolean } = {},
): FieldSpec<F> {
  const { nullable = false, indexed = false, fixed = false } = flags;
  return { field: name, column, kind, nullable, indexed, fixed };
}

/**
 * Every field of a {@link TaskRecord}, in the order the stores lay out
 * their columns. Backends map rows, hashes and statements from this table,
 * so adding a field is one edit here plus one migration per store.
 *
 * `owner` and `status` come last on purpose: MySQL evaluates
 * `ON DUPLICATE KEY UPDATE` assignments left to right, and the fencing test
 * reads both, so they must change after every other column.
 */
export const TASK_FIELDS: ReadonlyArray<FieldSpec<keyof TaskRecord>> = Object.freeze([
  field('id', 'id', 'text', { indexed: true, fixed: true }),
  field('name', 'name', 'text', { indexed: true, fixed: true }),
  field('queue', 'queue', 'text', { fixed: true }),
  field('priority', 'priority', 'int', { fixed: true }),
  field('tags', 'tags', 'tags'),
  field('args', 'args', 'json', { fixed: true }),
  field('attempt', 'attempt', 'int'),
  field('maxAttempts', 'max_attempts', 'int'),
  field('createdAt', 'created_at', 'time', { indexed: true, fixed: true }),
  field('startedAt', 'started_at', 'time', { nullable: true }),
  field('finishedAt', 'finished_at', 'time', { nullable: true }),
  field('duration', 'duration', 'float', { nullable: true }),
  field('runAt', 'run_at', 'time'),
  field('expiresAt', 'expires_at', 'time', { nullable: true }),
  field('error', 'error', 'text', { nullable: true }),
  field('stack', 'stack', 'text', { nullable: true }),
  field('logs', 'logs', 'json'),
  field('progress', 'progress', 'float', { nullable: true }),
  field('result', 'result', 'json', { nullable: true }),
  field('idempotencyKey', 'idempotency_key', 'text', { nullable: true, indexed: true, fixed: true }),
  field('requeueOnInterrupt', 'requeue_on_interrupt', 'bool'),
  field('cancelRequested', 'cancel_requested', 'bool'),
  field('headers', 'headers', 'tags', { fixed: true }),
  field('owner', 'owner', 'text', { nullable: true, indexed: true }),
  field('status', 'status', 'text', { indexed: true }),
]);

/** Every field of a {@link StoredJob} (the scheduler's job row), in column order. */
export const JOB_FIELDS: ReadonlyArray<FieldSpec<keyof StoredJob>> = Object.freeze([
  field('id', 'id', 'text', { indexed: true }),
  field('taskName', 'task_name', 'text'),
  field('trigger', 'trigger', 'json'),
  field('definitionHash', 'definition_hash', 'text'),
  field('options', 'options', 'json'),
  field('nextRunAt', 'next_run_at', 'time', { nullable: true, indexed: true }),
  field('lastRunAt', 'last_run_at', 'time', { nullable: true }),
  field('lastOutcome', 'last_outcome', 'text', { nullable: true }),
  field('paused', 'paused', 'bool'),
  field('orphaned', 'orphaned', 'bool'),
  field('activeRuns', 'active_runs', 'json'),
  field('updatedAt', 'updated_at', 'time'),
]);

/**
 * How one store represents the kinds it cannot hold natively. Each backend
 * gives one; {@link encodeFields} and {@link decodeFields} do the rest.
 */
export interface FieldCodec {
  /** A value of `kind` as the driver should receive it (never called with null). */
  encode(kind: FieldKind, value: unknown): unknown;
  /** A value the driver returned for `kind` back into its JS form (never called with null). */
  decode(kind: FieldKind, value: unknown): unknown;
}

/** Decodes what most drivers return: numbers as numbers or strings, JSON as text, booleans as 0/1. */
export const TEXT_JSON_CODEC: FieldCodec = {
  encode(kind, value) {
    if (kind === 'json' || kind === 'tags') return JSON.stringify(value);
    if (kind === 'bool') return value ? 1 : 0;
    return value;
  },
  decode(kind, value) {
    switch (kind) {
      case 'json':
      case 'tags':
        return typeof value === 'string' ? JSON.parse(value) : value;
      case 'bool':
        return value === true || value === 1 || value === '1';
      case 'int':
      case 'float':
      case 'time':
        return typeof value === 'number' ? value : Number(value);
      default:
        return typeof value === 'string' ? value : String(value);
    }
  },
};

/** The values of `shape` in the order of `fields`, encoded by `codec` (null stays null). */
export function encodeFields<T>(
  fields: ReadonlyArray<FieldSpec<Extract<keyof T, string>>>,
  shape: T,
  codec: FieldCodec,
): unknown[] {
  const values = new Array<unknown>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const spec = fields[i]!;
    const value = shape[spec.field];
    values[i] = value === null || value === undefined ? null : codec.encode(spec.kind, value);
  }
  return values;
}

/**
 * Builds a shape from a row keyed by column. A SQL NULL (or a missing hash
 * field) becomes `null`; a JSON `null` in a non-nullable JSON column too.
 */
export function decodeFields<T>(
  fields: ReadonlyArray<FieldSpec<Extract<keyof T, string>>>,
  row: Record<string, unknown>,
  codec: FieldCodec,
  key: 'column' | 'field' = 'column',
): T {
  const shape: Record<string, unknown> = {};
  for (const spec of fields) {
    const value = row[spec[key]];
    const decoded = value === null || value === undefined ? null : codec.decode(spec.kind, value);
    shape[spec.field] = spec.kind === 'tags' ? normalizeTags(decoded) : decoded;
  }
  return shape as T;
}
