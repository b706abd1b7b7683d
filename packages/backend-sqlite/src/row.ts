import type { TaskRecord } from '@errand/core';
import { encodeFields, TASK_FIELDS, TEXT_JSON_CODEC } from '@errand/core';

// SQLite has no JSON or boolean type: JSON as TEXT, booleans as 0/1 is exactly core's text codec.

/** A task's values in the order of `TASK_COLUMNS`, ready to bind. */
export const taskValues = (record: TaskRecord): unknown[] =>
  encodeFields(TASK_FIELDS, record, TEXT_JSON_CODEC);
