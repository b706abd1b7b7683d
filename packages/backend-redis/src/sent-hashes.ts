import * as core from '@errand/core';
import { fieldValue, hashPairs, patchArgs, wholeArgs } from './row.js';

/** One `write()` call's records and their pairs as sent. */
export interface WritePlan {
  readonly records: readonly core.TaskRecord[];
  readonly pairs: string[][];
  readonly args: string[];
}

/** Tasks whose last stored pairs are kept: the ones in flight, with room (a backlog goes whole). */
const KEPT = 4096;

/**
 * What this backend last stored of each unfinished task it owns, by task id (core writes a copy of
 * the record each time), so that the next write of the task (its start, its finish) sends only the
 * fields that changed: a write sends a record's whole JSON body and a dozen fields, a finish changes
 * three or four of them. Kept only while a patch is safe: the write that stored it was answered, no
 * other write of the task is in flight, and the task is unfinished and owned (a finished record is
 * seldom written again; fencing needs the owner); at most `KEPT` tasks, the oldest dropped first.
 * The script answers a patch whose record is not as it left it (deleted, cancelled or taken since)
 * as stale, and the record is then sent whole.
 */
export class SentHashes {
  readonly #stored = new Map<string, string[]>();
  readonly #inFlight = new Map<string, number>();

  /** The arguments of a write of `records`, patches where safe; marks them in flight until settle(). */
  plan(records: readonly core.TaskRecord[], whole = false): WritePlan {
    const args: string[] = [];
    const pairs: string[][] = [];
    const seen = new Set<string>();
    // A record that cannot be stored throws here, before anything is marked.
    for (const record of records) {
      const hash = hashPairs(record);
      const before = whole || seen.has(record.id) ? undefined : this.#patchBase(record);
      if (before) patchArgs(args, record.id, before, hash);
      else wholeArgs(args, record.id, hash);
      pairs.push(hash);
      seen.add(record.id);
    }
    for (const { id } of records) this.#inFlight.set(id, (this.#inFlight.get(id) ?? 0) + 1);
    return { records, pairs, args };
  }

  /**
   * The call of `plan` was answered (`refused`: ids the store did not take, stale ones included) or
   * failed (`refused` null: what it stored is unknown, so nothing of it is kept).
   */
  settle(plan: WritePlan, refused: ReadonlySet<string> | null): void {
    plan.records.forEach(({ id }, i) => {
      const left = this.#inFlight.get(id)! - 1;
      if (left > 0) this.#inFlight.set(id, left);
      else this.#inFlight.delete(id);
      const pairs = plan.pairs[i]!;
      this.#stored.delete(id);
      if (refused !== null && left === 0 && !refused.has(id) && isPatchable(pairs)) {
        this.#stored.set(id, pairs);
        if (this.#stored.size > KEPT) this.#stored.delete(this.#stored.keys().next().value!);
      }
    });
  }

  #patchBase(record: core.TaskRecord): string[] | undefined {
    if (this.#inFlight.get(record.id) || record.owner === null) return undefined;
    return this.#stored.get(record.id);
  }
}

/** A stored state a later patch may build on: owned and unfinished. */
function isPatchable(pairs: readonly string[]): boolean {
  const status = fieldValue(pairs, 'status') as core.TaskStatus;
  return !core.isFinished(status) && fieldValue(pairs, 'owner') !== undefined;
}
