import type { WriteHints } from '@errand/core';

/** Whether record `index` of a batch is a transition of a record its writer stored before (see `WriteKind`). */
export function isTransition(hints: WriteHints | undefined, index: number): boolean {
  return hints?.kinds?.[index] === 'transition';
}
