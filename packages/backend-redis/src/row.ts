import * as core from '@errand/core';

/**
 * Fields the scripts read are hash fields, under the names stores already hold; the others are one
 * JSON `body` (Lua reads it only for tag filters), so a field added to core's table needs no migration.
 */
const OWN =
  'name queue priority createdAt finishedAt duration runAt error idempotencyKey requeueOnInterrupt owner status';
const STORED_AS: Record<string, string> = { idempotencyKey: 'key', requeueOnInterrupt: 'requeue' };
const TASK_HASH = core.TASK_FIELDS.map((spec) => ({
  ...spec,
  column: STORED_AS[spec.field] ?? spec.field,
  own: OWN.split(' ').includes(spec.field),
}));
const ENCODED = TASK_HASH.filter((spec) => spec.field !== 'id');
const CODEC: core.FieldCodec = {
  encode: (kind, v) =>
    kind === 'bool' ? (v ? '1' : '0') : /json|tags/.test(kind) ? JSON.stringify(v) : String(v),
  decode: core.TEXT_JSON_CODEC.decode,
};
const text = (kind: core.FieldKind, v: unknown) => (v === null ? null : `${CODEC.encode(kind, v)}`);
const lowered = (v: string | null) => (v === null || v.toLowerCase() === v ? null : v.toLowerCase());
/** Script arguments as JSON, nulls left out; numbers that must keep their exact decimal form go as text. */
const json = (value: object) => JSON.stringify(value, (_, v) => (v === null ? undefined : v));
/**
 * A record's hash as field/value pairs: `body` first, `cancelRequested` first in it (where the scripts
 * set it without parsing the body), error and owner lower-cased by JavaScript (Lua's is ASCII-only), a
 * cancel flag. A value Redis would keep otherwise (missing, not finite) is refused here.
 */
export function hashPairs(record: core.TaskRecord): string[] {
  const pairs = ['body', ''];
  const body: Record<string, unknown> = { cancelRequested: record.cancelRequested };
  for (const { field, column, kind, nullable, own } of ENCODED) {
    const value = record[field];
    if (value == null ? !nullable : typeof value === 'number' && !Number.isFinite(value))
      throw new RangeError(`task ${record.id}: ${field} cannot be stored as ${value}`);
    if (!own) body[field] = value;
    else if (value != null) pairs.push(column, CODEC.encode(kind, value) as string);
  }
  pairs[1] = JSON.stringify(body);
  const [errorLower, ownerLower] = [lowered(record.error), lowered(record.owner)];
  if (errorLower !== null) pairs.push('errorLower', errorLower);
  if (ownerLower !== null) pairs.push('ownerLower', ownerLower);
  if (record.cancelRequested) pairs.push('cancel', '1');
  return pairs;
}

/** Appends a whole record: its id, the count of values, its hash's pairs. */
export function wholeArgs(into: string[], id: string, pairs: readonly string[]): string[] {
  into.push(id, `${pairs.length}`, ...pairs);
  return into;
}

/**
 * Appends a patch of a record against the pairs last stored: its id, `~<changed>:<gone>:<status>`
 * (counts of values, and the status the store must still hold, else the script answers it as stale),
 * the changed pairs (the owner always, which fencing compares), the names of the fields gone.
 */
export function patchArgs(into: string[], id: string, before: readonly string[], pairs: readonly string[]) {
  const old = new Map<string, string>();
  for (let i = 0; i < before.length; i += 2) old.set(before[i]!, before[i + 1]!);
  const changed: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const [field, value] = [pairs[i]!, pairs[i + 1]!];
    if (old.get(field) !== value || field === 'owner') changed.push(field, value);
    old.delete(field);
  }
  into.push(id, `~${changed.length}:${old.size}:${fieldValue(before, 'status')}`, ...changed, ...old.keys());
  return into;
}

/** The value of a field in a record's pairs. */
export function fieldValue(pairs: readonly string[], field: string): string | undefined {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === field) return pairs[i + 1];
  return undefined;
}

export const writeArgs = (records: readonly core.TaskRecord[], head: string[] = []) =>
  records.reduce((into, record) => wholeArgs(into, record.id, hashPairs(record)), head);
/** Times go as the text the job hash holds, so that `claimTick` compares them as text. */
export function claimTickArgs({ tasks, ...tick }: core.TickClaim): string[] {
  const times = { expected: `${tick.expectedNextRunAt}`, lastRunAt: `${tick.lastRunAt}` };
  const runs = JSON.stringify(tick.activeRuns);
  const head = { ...tick, ...times, nextRunAt: text('time', tick.nextRunAt), activeRuns: runs };
  return writeArgs(tasks, [json(head)]);
}

export const jobArgs = (job: core.StoredJob) =>
  json(Object.fromEntries(core.JOB_FIELDS.map(({ field, kind }) => [field, text(kind, job[field])])));
const count = (n: number) => (n >= 1 ? Math.min(Math.floor(n), 2 ** 31) : 0);
export const claimArgs = (request: core.ClaimRequest) =>
  json({ ...request, limit: count(request.limit), meLower: lowered(request.instanceId) });
export const purgeArgs = (request: core.PurgeRequest) =>
  json({ ...request, finishedBefore: Math.ceil(request.finishedBefore), limit: count(request.limit) });

export function historyArgs(query: core.NormalizedTaskQuery, withCursor: boolean): string {
  const { since, until, after } = query;
  const cursor = withCursor && after && (until === null || after.createdAt < until) ? after : null;
  const max = cursor ? `${cursor.createdAt}` : until === null ? '+inf' : `(${until}`;
  return json({ ...query, min: since === null ? '-inf' : `${since}`, max, after: cursor });
}

function hashOf(id: string, flat: readonly string[]): Record<string, string> | null {
  if (flat.length === 0) return null;
  const hash: Record<string, string> = { id };
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  return hash;
}
export function taskFromHash(id: string, flat: readonly string[]): core.TaskRecord | null {
  const hash = hashOf(id, flat);
  if (!hash) return null;
  // Body values are JSON already: they replace the nulls decodeFields gave the fields it lacked. A
  // version-2 body holds tags as a list and no cancelRequested.
  const record = Object.assign(core.decodeFields(TASK_HASH, hash, CODEC), JSON.parse(hash.body!));
  record.tags = core.normalizeTags(record.tags);
  record.cancelRequested = record.cancelRequested === true;
  return record;
}

export function jobFromHash(id: string, flat: readonly string[]): core.StoredJob | null {
  const hash = hashOf(id, flat);
  return hash && core.decodeFields<core.StoredJob>(core.JOB_FIELDS, hash, CODEC, 'field');
}
const tuples = <T>(flat: readonly T[], size: number) =>
  Array.from({ length: Math.floor(flat.length / size) }, (_, i) => flat.slice(i * size, i * size + size));
export const pairsOf = <T>(reply: unknown, decode: (id: string, flat: string[]) => T | null): T[] =>
  tuples(reply as string[][], 2).flatMap(([id, flat]) => decode(id as unknown as string, flat!) ?? []);
export const conflictsOf = (flat: readonly string[]) =>
  tuples(flat, 2).map(([id, existingId]) => ({ id: id!, existingId: existingId! }));
export const overrideOf = (stored: string): core.QueueOverride => ({
  ...{ paused: null, concurrency: null, globalConcurrency: null },
  ...JSON.parse(stored),
});

/** Rows of (bucket start, status, count) and (name, duration) pairs, as core's aggregateRecords orders them. */
export function aggregateOf([rows, durations, oldest]: [string[], string[], string?]): core.Aggregate {
  const finished = tuples(rows, 3).map(([start, status, count]) => ({
    ...{ start: Number(start), status: status as core.TaskStatus, count: Number(count) },
  }));
  return {
    finished: finished.sort((a, b) => a.start - b.start || (a.status < b.status ? -1 : 1)),
    durations: tuples(durations, 2).map(([name, duration]) => ({ name: name!, duration: Number(duration) })),
    oldestPendingAt: oldest === undefined ? null : Number(oldest),
  };
}
