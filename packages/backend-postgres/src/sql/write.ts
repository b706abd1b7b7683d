import { COLUMNS } from '../row.js';
import type { Tables } from '../tables.js';

/** One row per keyed record of the batch: who holds its key, and whether the record is settled. */
export interface KeyedOutcome {
  id: string;
  /** Another task holding the key (the record was not written), or null. */
  holder: string | null;
  /**
   * True when the record was inserted, or its id already existed (then it
   * was updated, or skipped as stale). False with no holder: the insert lost
   * a race this statement could not see (a key or id committed by another
   * transaction after its snapshot), so the caller retries it.
   */
  settled: boolean;
}

const columnList = COLUMNS.map((c) => c.column).join(', ');
const recordset = COLUMNS.map((c) => `"${c.field}" ${c.input}`).join(', ');
const casts = COLUMNS.map((c) => `"${c.field}"${c.cast} AS ${c.column}`).join(',\n      ');
const updatable = COLUMNS.filter((c) => c.column !== 'id');

/**
 * The fencing rule: an update applies when the stored row has no owner or
 * the same owner, or when a finished row goes back to `pending` (a manual
 * retry from any instance).
 */
function fence(stored: string, incoming: string): string {
  return `(${stored}.owner IS NULL OR ${stored}.owner = ${incoming}.owner
      OR (${stored}.status IN ('success', 'failed', 'interrupted', 'cancelled', 'rejected')
          AND ${incoming}.status = 'pending'))`;
}

/**
 * The whole of a `write()` round, as one statement (one round trip, one
 * implicit transaction). The text never changes, so it is prepared once per
 * connection.
 *
 * `$1` holds the records that cannot take an idempotency key (no key, or a
 * status that does not hold one): a single multi-row upsert with fencing.
 *
 * `$2` holds the records that take a key, at most one per key, none sharing
 * a key with a `$1` record (the caller defers those to the next round). They
 * cannot use `ON CONFLICT (id) DO UPDATE`, which raises on a clash with the
 * key index and would abort the batch. Instead: a record whose key another
 * task visibly holds is reported, not written; a new id goes through
 * `INSERT ... ON CONFLICT DO NOTHING`, which waits for a concurrent holder
 * and skips on conflict with any unique index; an existing id is updated
 * with the fencing rule. The final SELECT reports each of them.
 */
export function writeStatement(t: Tables): string {
  return `
WITH safe AS (
  SELECT ${casts}
  FROM json_to_recordset($1::json) AS r(${recordset})
),
keyed AS (
  SELECT ${casts}
  FROM json_to_recordset($2::json) AS r(${recordset})
),
upserted AS (
  INSERT INTO ${t.tasks} AS t (${columnList})
  SELECT ${columnList} FROM safe
  ORDER BY id
  ON CONFLICT (id) DO UPDATE SET
    ${updatable.map((c) => `${c.column} = EXCLUDED.${c.column}`).join(',\n    ')}
  WHERE ${fence('t', 'EXCLUDED')}
),
holders AS (
  SELECT k.id, h.id AS holder
  FROM keyed k
  JOIN ${t.tasks} h ON h.idempotency_key = k.idempotency_key
    AND h.status IN ('pending', 'running', 'success', 'interrupted')
    AND h.id <> k.id
),
existing AS (
  SELECT t.id FROM ${t.tasks} t JOIN keyed k ON k.id = t.id
),
inserted AS (
  INSERT INTO ${t.tasks} (${columnList})
  SELECT ${columnList} FROM keyed k
  WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.id = k.id)
    AND NOT EXISTS (SELECT 1 FROM holders h WHERE h.id = k.id)
  ORDER BY k.idempotency_key
  ON CONFLICT DO NOTHING
  RETURNING id
),
updated AS (
  UPDATE ${t.tasks} t SET
    ${updatable.map((c) => `${c.column} = k.${c.column}`).join(',\n    ')}
  FROM keyed k
  WHERE t.id = k.id
    AND NOT EXISTS (SELECT 1 FROM holders h WHERE h.id = k.id)
    AND ${fence('t', 'k')}
)
SELECT k.id, h.holder, (e.id IS NOT NULL OR i.id IS NOT NULL) AS settled
FROM keyed k
LEFT JOIN holders h ON h.id = k.id
LEFT JOIN existing e ON e.id = k.id
LEFT JOIN inserted i ON i.id = k.id`;
}
