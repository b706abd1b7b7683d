import type { Tables } from '../tables.js';

/**
 * Schema 1: tasks and heartbeats. Times are epoch-ms BIGINTs, exact in every store. `id` sorts
 * bytewise (`COLLATE "C"`) in any locale: UUIDv7 order breaks ties on every history page. JSON is
 * `json`, not `jsonb`: never queried inside, kept as the application wrote it.
 */
export function initialSchema(t: Tables): string {
  return `
CREATE TABLE ${t.tasks} (
  id text COLLATE "C" PRIMARY KEY, name text NOT NULL, queue text NOT NULL, priority integer NOT NULL,
  tags json NOT NULL, args json NOT NULL, status text NOT NULL, attempt integer NOT NULL,
  max_attempts integer NOT NULL, created_at bigint NOT NULL, started_at bigint, finished_at bigint,
  duration double precision, run_at bigint NOT NULL, error text, stack text, logs json NOT NULL,
  progress double precision, result json, idempotency_key text, owner text,
  requeue_on_interrupt boolean NOT NULL
);
CREATE INDEX ${t.index('tasks_created')} ON ${t.tasks} (created_at DESC, id DESC);
CREATE INDEX ${t.index('tasks_status_created')} ON ${t.tasks} (status, created_at, id);
CREATE INDEX ${t.index('tasks_name_created')} ON ${t.tasks} (name, created_at, id);
CREATE INDEX ${t.index('tasks_idempotency_key')} ON ${t.tasks} (idempotency_key, created_at, id)
  WHERE idempotency_key IS NOT NULL;
-- The key constraint itself: two instances racing on a key cannot both win.
CREATE UNIQUE INDEX ${t.index('tasks_idempotency_key_holder')} ON ${t.tasks} (idempotency_key)
  WHERE idempotency_key IS NOT NULL AND status IN ('pending', 'running', 'success', 'interrupted');
-- The claim scan never reads finished history, the bulk of the table.
CREATE INDEX ${t.index('tasks_claimable')} ON ${t.tasks} (created_at, id)
  WHERE status IN ('pending', 'running') OR (status = 'interrupted' AND requeue_on_interrupt);
CREATE TABLE ${t.instances} (id text PRIMARY KEY, expires_at bigint NOT NULL, started_at bigint NOT NULL,
  meta json NOT NULL);`;
}
