import type { TaskRecord } from '@errand/core';
import { encodeFields, TASK_FIELDS, TEXT_JSON_CODEC } from '@errand/core';
import { TASK_COLUMNS, text } from '@errand/sql';

// mysql2 gives VARBINARY as Buffers, which the codec's String() decodes as UTF-8; JSON is LONGTEXT.
export const taskColumns = (alias = '') => TASK_COLUMNS.map((column) => alias + column).join(', ');
export const TASK_SELECT = taskColumns();
// Schema 1 made every JSON column NOT NULL: a null `result` is stored as the JSON text `null`.
const NULLABLE_JSON = TASK_FIELDS.flatMap((spec, i) => (spec.kind === 'json' && spec.nullable ? [i] : []));

export function taskValues(record: TaskRecord): unknown[] {
  const values = encodeFields(TASK_FIELDS, record, TEXT_JSON_CODEC);
  for (const i of NULLABLE_JSON) values[i] ??= 'null';
  return values;
}

export const nullableText = (value: unknown): string | null => (value === null ? null : text(value));
