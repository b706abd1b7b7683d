import type { Tables } from '../tables.js';
import { STORE_NOW } from './clock.js';

const INTERRUPTS = `t.status = 'running' AND NOT t.requeue_on_interrupt`;

/**
 * Takes over unfinished work of dead owners in one statement.
 *
 * `$1` instance id, `$2` task names (text[]), `$3` limit.
 *
 * The candidate scan repeats the `tasks_claimable` index predicate word for
 * word so the planner can prove it and read that small index in
 * `(created_at, id)` order. `FOR UPDATE SKIP LOCKED` makes concurrent
 * claimers split the rows instead of waiting on each other; a row another
 * claimer committed first is re-checked on its new version, where its owner
 * is alive, so it is never taken twice. In SET, `t.owner` and `t.status`
 * are the values before the update, which names the lost owner in the error.
 */
export function claimStatement(t: Tables): string {
  return `
WITH clock AS (SELECT ${STORE_NOW} AS ms),
candidates AS (
  SELECT t.id
  FROM ${t.tasks} t
  WHERE (t.status IN ('pending', 'running') OR (t.status = 'interrupted' AND t.requeue_on_interrupt))
    AND t.name = ANY($2::text[])
    AND (t.owner IS NULL OR (t.owner <> $1 AND NOT EXISTS (
      SELECT 1 FROM ${t.instances} i, clock WHERE i.id = t.owner AND i.expires_at > clock.ms)))
  ORDER BY t.created_at, t.id
  LIMIT $3
  FOR UPDATE OF t SKIP LOCKED
),
claimed AS (
  UPDATE ${t.tasks} t SET
    owner = $1,
    status = CASE WHEN ${INTERRUPTS} THEN 'interrupted' ELSE 'pending' END,
    finished_at = CASE WHEN ${INTERRUPTS} THEN clock.ms ELSE t.finished_at END,
    error = CASE WHEN ${INTERRUPTS}
      THEN 'instance ' || COALESCE(t.owner, '(none)') || ' stopped before the task finished'
      ELSE t.error END
  FROM candidates c, clock
  WHERE t.id = c.id
  RETURNING t.*
)
SELECT * FROM claimed ORDER BY created_at, id`;
}
