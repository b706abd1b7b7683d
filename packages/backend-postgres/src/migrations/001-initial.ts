import type { Tables } from '../tables.js';

/**
 * The first schema: tasks and instance heartbeats.
 *
 * Times are epoch-millisecond BIGINTs so every backend round-trips them
 * exactly. `id` sorts bytewise (`COLLATE "C"`) whatever the database locale,
 * because UUIDv7 order is the tie-breaker of every history page. JSON values
 * are `json`, not `jsonb`: they are never queried inside, and `json` keeps
 * the exact text (key order, `\u0000`) that the application wrote.
 */
export function initialSchema(t: Tables): string {
  const index = (name: string) => `"${t.indexPrefix}${name}"`;
  return `
CREATE TABLE ${t.tasks} (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  queue text NOT NULL,
  priority integer NOT NULL,
  tags json NOT NULL,
  args json NOT NULL,
  status text NOT NULL,
  attempt integer NOT NULL,
  max_attempts integer NOT NULL,
  created_at bigint NOT NULL,
  started_at bigint,
  finished_at bigint,
  duration double precision,
  run_at bigint NOT NULL,
  error text,
  stack text,
  logs json NOT NULL,
  progress double precision,
  result json,
  idempotency_key text,
  owner text,
  requeue_on_interrupt boolean NOT NULL
);

CREATE INDEX ${index('tasks_created')} ON ${t.tasks} (created_at DESC, id DESC);
CREATE INDEX ${index('tasks_status_created')} ON ${t.tasks} (status, created_at, id);
CREATE INDEX ${index('tasks_name_created')} ON ${t.tasks} (name, created_at, id);
CREATE INDEX ${index('tasks_idempotency_key')} ON ${t.tasks} (idempotency_key, created_at, id)
  WHERE idempotency_key IS NOT NULL;

-- The key constraint itself: at most one task holds a key while it is pending, running,
-- succeeded or interrupted. Enforced by the index, so two instances racing on a key
-- cannot both win.
CREATE UNIQUE INDEX ${index('tasks_idempotency_key_holder')} ON ${t.tasks} (idempotency_key)
  WHERE idempotency_key IS NOT NULL AND status IN ('pending', 'running', 'success', 'interrupted');

-- The claim scan reads only claimable rows, oldest first; finished history (the bulk of
-- the table) never enters this index.
CREATE INDEX ${index('tasks_claimable')} ON ${t.tasks} (created_at, id)
  WHERE status IN ('pending', 'running') OR (status = 'interrupted' AND requeue_on_interrupt);

CREATE TABLE ${t.instances} (
  id text PRIMARY KEY,
  expires_at bigint NOT NULL,
  started_at bigint NOT NULL,
  meta json NOT NULL
);
`;
}
