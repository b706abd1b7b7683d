import { type FieldSpec, JOB_FIELDS, TASK_FIELDS, type TaskRecord } from '@errand/core';

/** Columns of the task table, in field-table order (`owner`, `status` last). */
export const TASK_COLUMNS: readonly string[] = TASK_FIELDS.map((spec) => spec.column);

/**
 * The fields a transition may change (every field not `fixed`), in field-table order (`owner`,
 * `status` last): what the narrow update of a `'transition'` write sets.
 */
export const TRANSITION_FIELDS: ReadonlyArray<FieldSpec<keyof TaskRecord>> = TASK_FIELDS.filter(
  (spec) => !spec.fixed,
);

/** Columns of {@link TRANSITION_FIELDS}. */
export const TRANSITION_COLUMNS: readonly string[] = TRANSITION_FIELDS.map((spec) => spec.column);

/** Columns of the scheduler's job table, in field-table order. */
export const JOB_COLUMNS: readonly string[] = JOB_FIELDS.map((spec) => spec.column);

/** `a, b, c`, each column passed through `quote` (for reserved words such as `trigger`). */
export function columnList(
  fields: ReadonlyArray<FieldSpec>,
  quote: (column: string) => string = (c) => c,
): string {
  return fields.map((spec) => quote(spec.column)).join(', ');
}
