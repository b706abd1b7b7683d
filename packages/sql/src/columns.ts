import { type FieldSpec, JOB_FIELDS, TASK_FIELDS } from '@errand/core';

/** Columns of the task table, in field-table order (`owner`, `status` last). */
export const TASK_COLUMNS: readonly string[] = TASK_FIELDS.map((spec) => spec.column);

/** Columns of the scheduler's job table, in field-table order. */
export const JOB_COLUMNS: readonly string[] = JOB_FIELDS.map((spec) => spec.column);

/** `a, b, c`, each column passed through `quote` (for reserved words such as `trigger`). */
export function columnList(
  fields: ReadonlyArray<FieldSpec>,
  quote: (column: string) => string = (c) => c,
): string {
  return fields.map((spec) => quote(spec.column)).join(', ');
}
