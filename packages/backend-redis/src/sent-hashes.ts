import * as core from '@errand/core';
import { fieldValue, hashPairs, patchArgs, wholeArgs } from './row.js';

/** One `write()` call's records, their pairs as sent, and whether each went as a patch. */
export interface WritePlan {
  readonly records: readonly core.TaskRecord[];
  readonly pairs: string[][];
  readonly args: string[];
}

/**
 * What this backend last stored of each unfinished task it owns, so that the next write of the same
 * record (its start, its finish) sends only the fields that changed: a write sends a record's
 * whole JSON body and a dozen fields, a finish changes three or four of them. Kept per record object
 * (a WeakMap: a task core no longer holds costs nothing) and only while a patch is safe: the write
 * that stored it was answered, no other write of the record is in flight, and the task is unfinished
 * and owned (a finished record is seldom written again; fencing needs the owner). The script answers
 * a patch whose record is not as it left it (deleted, cancelled or taken since) as stale, and the
 * record is then sent whole.
 */
export class SentHashes {
  readonly #stored = new WeakMap<core.TaskRecord, string[]>();
  readonly #inFlight = new WeakMap<core.TaskRecord, number>();

  /** The arguments of a write of `records`, patches where safe; marks them in flight until settle(). */
  plan(records: readonly core.TaskRecord[], whole = false): WritePlan {
    const args: string[] = [];
    const pairs: string[][] = [];
    const seen = new Set<core.TaskRecord>();
    // A record that cannot be stored throws here, before anything is marked.
    for (const record of records) {
      const hash = hashPairs(record);
      const before = whole || seen.has(record) ? undefined : this.#patchBase(record);
      if (before) patchArgs(args, record.id, before, hash);
      else wholeArgs(args, record.id, hash);
      pairs.push(hash);
      seen.add(record);
    }
    for (const record of records) this.#inFlight.set(record, (this.#inFlight.get(record) ?? 0) + 1);
    return { records, pairs, args };
  }

  /**
   * The call of `plan` was answered (`refused`: ids the store did not take, stale ones included) or
   * failed (`refused` null: what it stored is unknown, so nothing of it is kept).
   */
  settle(plan: WritePlan, refused: ReadonlySet<string> | null): void {
    plan.records.forEach((record, i) => {
      const left = this.#inFlight.get(record)! - 1;
      if (left > 0) this.#inFlight.set(record, left);
      else this.#inFlight.delete(record);
      const pairs = plan.pairs[i]!;
      const keep = refused !== null && left === 0 && !refused.has(record.id) && isPatchable(pairs);
      if (keep) this.#stored.set(record, pairs);
      else this.#stored.delete(record);
    });
  }

  #patchBase(record: core.TaskRecord): string[] | undefined {
    if (this.#inFlight.get(record) || record.owner === null) return undefined;
    return this.#stored.get(record);
  }
}

/** A stored state a later patch may build on: owned and unfinished. */
function isPatchable(pairs: readonly string[]): boolean {
  const status = fieldValue(pairs, 'status') as core.TaskStatus;
  return !core.isFinished(status) && fieldValue(pairs, 'owner') !== undefined;
}
