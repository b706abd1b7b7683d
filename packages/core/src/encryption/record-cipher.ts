import type { TaskLogLine, TaskRecord } from '../model/task-record.js';
import { isSealed, type Keyring, sealedKeyId } from './keyring.js';

/**
 * How encrypted JSON fields are stored, so every store keeps their shape:
 * `args` as `[{ $encrypted }]` (still an array), `result` as
 * `{ $encrypted }`, `logs` as one line `{ at, message: 'encrypted',
 * fields: { $encrypted } }` (still a list of lines, with the last time).
 * `error` and `stack` are the sealed strings themselves.
 */
interface SealedJson {
  $encrypted: string;
}

const ENCRYPTED_LOG_MESSAGE = 'encrypted';

function sealedJson(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  const sealed = (value as Partial<SealedJson>).$encrypted;
  return keys.length === 1 && isSealed(sealed) ? sealed : null;
}

/** The sealed payload each JSON field holds, or null when it is plain. */
function sealedArgs(args: unknown): string | null {
  return Array.isArray(args) && args.length === 1 ? sealedJson(args[0]) : null;
}

function sealedLogs(logs: unknown): string | null {
  if (!Array.isArray(logs) || logs.length !== 1) return null;
  const line = logs[0] as Partial<TaskLogLine> | null;
  return line?.message === ENCRYPTED_LOG_MESSAGE ? sealedJson(line.fields) : null;
}

const aad = (record: TaskRecord, field: string) => `${record.id}\u0000${field}`;

/**
 * A copy of `record` with the configured fields sealed by the current key.
 * The record given is never changed: it is the manager's live record.
 */
export function encryptRecord(record: TaskRecord, keyring: Keyring): TaskRecord {
  const copy = { ...record };
  const { fields } = keyring;
  if (fields.has('args') && sealedArgs(record.args) === null) {
    copy.args = [{ $encrypted: keyring.seal(JSON.stringify(record.args), aad(record, 'args')) }];
  }
  if (
    fields.has('result') &&
    record.result !== null &&
    record.result !== undefined &&
    sealedJson(record.result) === null
  ) {
    copy.result = { $encrypted: keyring.seal(JSON.stringify(record.result), aad(record, 'result')) };
  }
  if (fields.has('logs') && record.logs.length > 0 && sealedLogs(record.logs) === null) {
    const at = record.logs[record.logs.length - 1]!.at;
    const sealed = keyring.seal(JSON.stringify(record.logs), aad(record, 'logs'));
    copy.logs = [{ at, message: ENCRYPTED_LOG_MESSAGE, fields: { $encrypted: sealed } }];
  }
  if (fields.has('error')) {
    if (record.error !== null && !isSealed(record.error))
      copy.error = keyring.seal(record.error, aad(record, 'error'));
    if (record.stack !== null && !isSealed(record.stack))
      copy.stack = keyring.seal(record.stack, aad(record, 'stack'));
  }
  return copy;
}

/**
 * A copy of a stored record with every sealed field opened, whichever key
 * sealed it and whatever `fields` says now (so changing the option never
 * makes history unreadable). Plain fields (records written before
 * encryption was turned on) are returned as they are.
 */
export function decryptRecord(record: TaskRecord, keyring: Keyring): TaskRecord {
  const args = sealedArgs(record.args);
  const result = sealedJson(record.result);
  const logs = sealedLogs(record.logs);
  const error = isSealed(record.error);
  const stack = isSealed(record.stack);
  if (args === null && result === null && logs === null && !error && !stack) return record;
  const copy = { ...record };
  if (args !== null) copy.args = JSON.parse(keyring.open(args, aad(record, 'args'), record.id));
  if (result !== null) copy.result = JSON.parse(keyring.open(result, aad(record, 'result'), record.id));
  if (logs !== null) copy.logs = JSON.parse(keyring.open(logs, aad(record, 'logs'), record.id));
  if (error) copy.error = keyring.open(record.error!, aad(record, 'error'), record.id);
  if (stack) copy.stack = keyring.open(record.stack!, aad(record, 'stack'), record.id);
  return copy;
}

/**
 * Whether a stored record needs rewriting to be sealed with the current key
 * only: a field sealed with an older key, or a configured field still plain.
 */
export function needsReencryption(record: TaskRecord, keyring: Keyring): boolean {
  const sealed = [sealedArgs(record.args), sealedJson(record.result), sealedLogs(record.logs)];
  if (isSealed(record.error)) sealed.push(record.error);
  if (isSealed(record.stack)) sealed.push(record.stack);
  if (sealed.some((value) => value !== null && sealedKeyId(value) !== keyring.current)) return true;
  const { fields } = keyring;
  return (
    (fields.has('args') && sealed[0] === null) ||
    (fields.has('result') && record.result !== null && sealed[1] === null) ||
    (fields.has('logs') && record.logs.length > 0 && sealed[2] === null) ||
    (fields.has('error') &&
      ((record.error !== null && !isSealed(record.error)) ||
        (record.stack !== null && !isSealed(record.stack))))
  );
}

/** Job options as stored: `args` sealed like a task's. */
export function encryptJobArgs(
  jobId: string,
  options: Record<string, unknown>,
  keyring: Keyring,
): Record<string, unknown> {
  if (!keyring.fields.has('args') || options.args === undefined || sealedArgs(options.args) !== null)
    return options;
  return {
    ...options,
    args: [{ $encrypted: keyring.seal(JSON.stringify(options.args), `job:${jobId}\u0000args`) }],
  };
}

export function decryptJobArgs(
  jobId: string,
  options: Record<string, unknown>,
  keyring: Keyring,
): Record<string, unknown> {
  const sealed = sealedArgs(options.args);
  if (sealed === null) return options;
  return { ...options, args: JSON.parse(keyring.open(sealed, `job:${jobId}\u0000args`, jobId)) };
}

/** Whether a stored job's arguments are sealed with a key other than the current one. */
export function jobNeedsReencryption(options: Record<string, unknown>, keyring: Keyring): boolean {
  const sealed = sealedArgs(options.args);
  return sealed !== null && sealedKeyId(sealed) !== keyring.current;
}
