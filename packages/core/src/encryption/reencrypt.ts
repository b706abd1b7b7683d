import type { SnapshotBackend } from '../backend/backend.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { normalizeQuery, toPage } from '../model/query-filter.js';
import { FINISHED_STATUSES, type TaskRecord, UNFINISHED_STATUSES } from '../model/task-record.js';
import type { Keyring } from './keyring.js';
import { decryptRecord, encryptRecord, jobNeedsReencryption, needsReencryption } from './record-cipher.js';

/** Options of `manager.reencrypt()`. */
export interface ReencryptOptions {
  /** Records read and rewritten per batch. Default 200 (at most 1000). */
  batchSize?: number;
  /** Pause between batches, in ms, so the store keeps serving the fleet. Default 50. */
  pauseMs?: number;
  /** Stops between batches once aborted (what was rewritten stays rewritten). */
  signal?: AbortSignal;
}

/** What a re-encryption round did. */
export interface ReencryptReport {
  /** Finished records read. */
  scanned: number;
  /** Finished records rewritten with the current key. */
  rewritten: number;
  /**
   * Finished records that changed between the read and the rewrite (a retry,
   * a purge) and were left alone; run again to cover them.
   */
  skipped: number;
  /**
   * Unfinished records still sealed with an older key (or plain). They are
   * rewritten with the current key by their next write (when they start or
   * finish); keep the older keys until a run reports 0 here and in `skipped`.
   */
  unfinished: number;
  /**
   * Scheduler jobs whose arguments are sealed with an older key: stored again
   * with the current key by the next start of an instance that declares them.
   */
  jobs: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same stored version: nobody wrote the record between the read and now. */
function unchanged(a: TaskRecord, b: TaskRecord | undefined): boolean {
  return (
    b !== undefined &&
    a.status === b.status &&
    a.owner === b.owner &&
    a.finishedAt === b.finishedAt &&
    a.attempt === b.attempt
  );
}

/**
 * Re-encrypts history in batches: every finished record that a field sealed
 * with an older key (or a configured field still plain) is decrypted and
 * written back sealed with the current key. Unfinished records are only
 * counted: their owner rewrites them soon, and a rewrite here could race
 * its writes. Each batch is read again just before it is written, and a
 * record that changed meanwhile is skipped, so a retry is never undone
 * (within the store's single-write atomicity: a retry landing in the few
 * milliseconds between that read and the write can still be overwritten;
 * run rotation when no one bulk-retries the same records).
 */
export async function reencryptStore(
  store: SnapshotBackend,
  keyring: Keyring,
  options: ReencryptOptions,
): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 200;
  const pauseMs = options.pauseMs ?? 50;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
    throw new InvalidOptionError('reencrypt: batchSize must be an integer from 1 to 1000');
  }
  if (!Number.isInteger(pauseMs) || pauseMs < 0)
    throw new InvalidOptionError('reencrypt: pauseMs must be >= 0');
  const report: ReencryptReport = { scanned: 0, rewritten: 0, skipped: 0, unfinished: 0, jobs: 0 };
  let cursor: string | undefined;
  do {
    if (options.signal?.aborted) return report;
    const query = normalizeQuery({ status: FINISHED_STATUSES, limit: batchSize, cursor });
    const page = toPage(await store.query(query), query);
    report.scanned += page.records.length;
    const stale = page.records.filter((record) => needsReencryption(record, keyring));
    if (stale.length > 0) {
      const now = new Map((await store.getMany(stale.map((record) => record.id))).map((r) => [r.id, r]));
      const rewrite = stale.filter((record) => unchanged(record, now.get(record.id)));
      report.skipped += stale.length - rewrite.length;
      if (rewrite.length > 0) {
        const sealed = rewrite.map((record) => encryptRecord(decryptRecord(record, keyring), keyring));
        const { fenced, conflicts } = await store.write(sealed);
        report.rewritten += rewrite.length - fenced.length - conflicts.length;
        report.skipped += fenced.length + conflicts.length;
      }
      if (pauseMs > 0) await pause(pauseMs);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  cursor = undefined;
  do {
    const query = normalizeQuery({ status: UNFINISHED_STATUSES, limit: 1000, cursor });
    const page = toPage(await store.query(query), query);
    report.unfinished += page.records.filter((record) => needsReencryption(record, keyring)).length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const jobs = store.schedules ? await store.schedules.list() : [];
  report.jobs = jobs.filter((job) => jobNeedsReencryption(job.options, keyring)).length;
  return report;
}
