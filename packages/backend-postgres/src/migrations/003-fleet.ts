import type { Tables } from '../tables.js';

/**
 * Schema 3: the fleet and flow control. The new columns take their defaults without a rewrite.
 * The claim reads `tasks_claim_order` in claim order (priority first), under the claimable
 * predicate of `@errand/sql` word for word, and stops at its LIMIT; it replaces `tasks_claimable`.
 * `tasks_cancel_requests` keeps the heartbeat's question off the history. Each index reads the whole
 * table while writes wait: an operator may build it beforehand, CONCURRENTLY, and it is kept. Tags
 * stored as a list by earlier releases stay as they are (they read as keys with empty values).
 */
export function fleetSchema(t: Tables): string {
  return `
ALTER TABLE ${t.tasks} ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false, ADD COLUMN expires_at bigint,
  ADD COLUMN headers json NOT NULL DEFAULT '{}';
DROP INDEX "${t.schemaName}".${t.index('tasks_claimable')};
CREATE INDEX IF NOT EXISTS ${t.index('tasks_claim_order')} ON ${t.tasks} (priority DESC, created_at, id)
  WHERE (status IN ('pending', 'running') OR (status = 'interrupted' AND requeue_on_interrupt));
CREATE INDEX IF NOT EXISTS ${t.index('tasks_cancel_requests')} ON ${t.tasks} (owner)
  WHERE cancel_requested AND status NOT IN ('success', 'failed', 'interrupted', 'cancelled', 'rejected', 'expired');
CREATE INDEX IF NOT EXISTS ${t.index('tasks_finished')} ON ${t.tasks} (finished_at, id) WHERE finished_at IS NOT NULL;
CREATE TABLE ${t.queues} (name text PRIMARY KEY, paused boolean, concurrency integer, global_concurrency integer,
  updated_at bigint NOT NULL);
CREATE TABLE ${t.counters} (key text PRIMARY KEY, value double precision NOT NULL, at bigint NOT NULL);
CREATE TABLE ${t.semaphores} (key text, holder text, units integer NOT NULL, PRIMARY KEY (key, holder));
CREATE TABLE ${t.locks} (name text PRIMARY KEY, holder text NOT NULL, expires_at bigint NOT NULL);`;
}
