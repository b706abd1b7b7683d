import type { TaskRecord } from '@errand/core';
import { encodeFields, type FieldCodec, TASK_FIELDS } from '@errand/core';

// NUL cannot be stored in a text column, and a lone surrogate cannot cross json_to_recordset:
// either would fail the batch forever, so they become U+FFFD (as pg does to a lone surrogate).
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `pg` returns BIGINT as text (or what the application made it parse into), `json` parsed and
 * booleans native. JSON travels as text for the server to cast, which keeps `\u0000` and key
 * order; whole numbers are rounded, and one out of range is refused (22003).
 */
export const PG_CODEC: FieldCodec = {
  encode(kind, value) {
    if (kind === 'json' || kind === 'tags') return JSON.stringify(value) ?? null;
    if (kind === 'text') return String(value).replace(UNSTORABLE, '\ufffd');
    return kind === 'int' || kind === 'time' ? Math.round(value as number) : value;
  },
  decode: (kind, value) => (kind === 'int' || kind === 'time' || kind === 'float' ? Number(value) : value),
};

/** The JSON batch that `json_to_recordset` reads: one object per record, keyed by column. */
export function encodeRecords(records: readonly TaskRecord[]): string {
  const rows = records.map((record) => {
    // An empty key means "no key", as in core, not one that all empty-keyed tasks would share.
    const keyed = { ...record, idempotencyKey: record.idempotencyKey || null };
    const values = encodeFields(TASK_FIELDS, keyed, PG_CODEC);
    return Object.fromEntries(TASK_FIELDS.map((spec, i) => [spec.column, values[i]]));
  });
  return JSON.stringify(rows);
}
