import { holdsKey, type TaskRecord, type WriteHints } from '@errand/core';

/** Whether record `index` of a batch is a transition of a record its writer stored before (see `WriteKind`). */
export function isTransition(hints: WriteHints | undefined, index: number): boolean {
  return hints?.kinds?.[index] === 'transition';
}

/** Whether a record takes its idempotency key (so the key's holder must be checked before it is written). */
export function takesKey(record: TaskRecord): boolean {
  return Boolean(record.idempotencyKey) && holdsKey(record.status);
}

/**
 * A batch split by how each record is written: `transitions` by the narrow update of the columns a
 * transition changes, `full` by the fenced upsert of every column (new records, records without a
 * hint, and transitions that take a key: a store whose set-wise statement checks key holders in the
 * upsert only). Each id keeps its last version, as if written one by one; order is kept.
 */
export function splitByKind(
  records: readonly TaskRecord[],
  hints: WriteHints | undefined,
): { full: TaskRecord[]; transitions: TaskRecord[] } {
  const last = new Map<string, number>();
  records.forEach((record, index) => {
    last.set(record.id, index);
  });
  const split: { full: TaskRecord[]; transitions: TaskRecord[] } = { full: [], transitions: [] };
  records.forEach((record, index) => {
    if (last.get(record.id) !== index) return;
    const narrow = isTransition(hints, index) && !takesKey(record);
    split[narrow ? 'transitions' : 'full'].push(record);
  });
  return split;
}
