import type { TaskRecord, TaskStatus } from '@errand/core';

/**
 * One `tasks` row as `pg` returns it. BIGINT columns arrive as strings (or
 * whatever the application made `pg` parse them into), JSON columns parsed.
 */
export interface TaskRow {
  id: string;
  name: string;
  queue: string;
  priority: number;
  tags: string[];
  args: unknown[];
  status: TaskStatus;
  attempt: number;
  max_attempts: number;
  created_at: string | number | bigint;
  started_at: string | number | bigint | null;
  finished_at: string | number | bigint | null;
  duration: number | null;
  run_at: string | number | bigint;
  error: string | null;
  stack: string | null;
  logs: TaskRecord['logs'];
  progress: number | null;
  result: unknown;
  idempotency_key: string | null;
  owner: string | null;
  requeue_on_interrupt: boolean;
}

/**
 * How each record field travels: the column, the field's key in the JSON
 * batch that `write` sends, the type `json_to_recordset` reads it as, and
 * the expression that turns that into the column's type.
 *
 * Numbers are read as float8 and cast on insert, so a fractional value
 * rounds instead of failing the whole batch. JSON columns travel as text
 * (JSON inside JSON) and are cast to `json` by the server: `json` input keeps
 * `\u0000` and lone surrogates that `json_to_recordset` would refuse.
 */
export const COLUMNS: ReadonlyArray<{
  column: string;
  field: keyof TaskRecord;
  input: string;
  cast: string;
}> = [
  { column: 'id', field: 'id', input: 'text', cast: ' COLLATE "C"' },
  { column: 'name', field: 'name', input: 'text', cast: '' },
  { column: 'queue', field: 'queue', input: 'text', cast: '' },
  { column: 'priority', field: 'priority', input: 'float8', cast: '::integer' },
  { column: 'tags', field: 'tags', input: 'text', cast: '::json' },
  { column: 'args', field: 'args', input: 'text', cast: '::json' },
  { column: 'status', field: 'status', input: 'text', cast: '' },
  { column: 'attempt', field: 'attempt', input: 'float8', cast: '::integer' },
  { column: 'max_attempts', field: 'maxAttempts', input: 'float8', cast: '::integer' },
  { column: 'created_at', field: 'createdAt', input: 'float8', cast: '::bigint' },
  { column: 'started_at', field: 'startedAt', input: 'float8', cast: '::bigint' },
  { column: 'finished_at', field: 'finishedAt', input: 'float8', cast: '::bigint' },
  { column: 'duration', field: 'duration', input: 'float8', cast: '' },
  { column: 'run_at', field: 'runAt', input: 'float8', cast: '::bigint' },
  { column: 'error', field: 'error', input: 'text', cast: '' },
  { column: 'stack', field: 'stack', input: 'text', cast: '' },
  { column: 'logs', field: 'logs', input: 'text', cast: '::json' },
  { column: 'progress', field: 'progress', input: 'float8', cast: '' },
  { column: 'result', field: 'result', input: 'text', cast: '::json' },
  { column: 'idempotency_key', field: 'idempotencyKey', input: 'text', cast: '' },
  { column: 'owner', field: 'owner', input: 'text', cast: '' },
  { column: 'requeue_on_interrupt', field: 'requeueOnInterrupt', input: 'boolean', cast: '' },
];

function toNumber(value: string | number | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

function toNullableNumber(value: string | number | bigint | null): number | null {
  return value === null ? null : toNumber(value);
}

export function rowToRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    name: row.name,
    queue: row.queue,
    priority: row.priority,
    tags: row.tags,
    args: row.args,
    status: row.status,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    createdAt: toNumber(row.created_at),
    startedAt: toNullableNumber(row.started_at),
    finishedAt: toNullableNumber(row.finished_at),
    duration: row.duration,
    runAt: toNumber(row.run_at),
    error: row.error,
    stack: row.stack,
    logs: row.logs,
    progress: row.progress,
    // A SQL NULL and a stored JSON `null` both mean "no result".
    result: row.result ?? null,
    idempotencyKey: row.idempotency_key,
    owner: row.owner,
    requeueOnInterrupt: row.requeue_on_interrupt,
  };
}

// NUL cannot be stored in a PostgreSQL text column, and a lone surrogate cannot cross
// `json_to_recordset`: either would fail the whole batch forever, so they become U+FFFD
// (what `pg` itself does to a lone surrogate in a plain text parameter).
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function storableText(value: string): string;
function storableText(value: string | null): string | null;
function storableText(value: string | null): string | null {
  if (value === null) return null;
  UNSTORABLE.lastIndex = 0;
  return UNSTORABLE.test(value) ? value.replace(UNSTORABLE, '\ufffd') : value;
}

function jsonText(value: unknown): string | null {
  return value === undefined ? null : (JSON.stringify(value) ?? null);
}

/** The JSON batch that `json_to_recordset` reads: one object per record, keyed by field name. */
export function encodeRecords(records: readonly TaskRecord[]): string {
  return JSON.stringify(
    records.map((record) => ({
      id: storableText(record.id),
      name: storableText(record.name),
      queue: storableText(record.queue),
      priority: record.priority,
      tags: jsonText(record.tags),
      args: jsonText(record.args),
      status: record.status,
      attempt: record.attempt,
      maxAttempts: record.maxAttempts,
      createdAt: record.createdAt,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      duration: record.duration,
      runAt: record.runAt,
      error: storableText(record.error),
      stack: storableText(record.stack),
      logs: jsonText(record.logs),
      progress: record.progress,
      result: jsonText(record.result),
      // Core never makes an empty key; were one to arrive, it means "no key" (as in core),
      // not a key that every other empty-keyed task would collide with.
      idempotencyKey: record.idempotencyKey ? storableText(record.idempotencyKey) : null,
      owner: storableText(record.owner),
      requeueOnInterrupt: record.requeueOnInterrupt,
    })),
  );
}
