import type { Migration } from '@errand/sql';

// Written out rather than built from the field table: a migration is history,
// and a new field is a new migration. Times are epoch ms; JSON is TEXT.
export const initial: Migration<string> = {
  version: 1,
  description: 'tasks and instances',
  statements: (p) => [
    `CREATE TABLE ${p}tasks (
      id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, queue TEXT NOT NULL DEFAULT 'default',
      priority INTEGER NOT NULL DEFAULT 0, tags TEXT NOT NULL DEFAULT '[]', args TEXT NOT NULL,
      status TEXT NOT NULL, attempt INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
      created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, duration INTEGER,
      run_at INTEGER NOT NULL, error TEXT, stack TEXT, logs TEXT NOT NULL DEFAULT '[]', progress REAL,
      result TEXT, idempotency_key TEXT, owner TEXT, requeue_on_interrupt INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID`,
    `CREATE INDEX ${p}tasks_created ON ${p}tasks (created_at DESC, id DESC)`,
    `CREATE INDEX ${p}tasks_status ON ${p}tasks (status, created_at DESC, id DESC)`,
    `CREATE INDEX ${p}tasks_name ON ${p}tasks (name, created_at DESC, id DESC)`,
    `CREATE UNIQUE INDEX ${p}tasks_active_key ON ${p}tasks (idempotency_key)
      WHERE idempotency_key IS NOT NULL AND status IN ('pending', 'running', 'success', 'interrupted')`,
    `CREATE INDEX ${p}tasks_key ON ${p}tasks (idempotency_key) WHERE idempotency_key IS NOT NULL`,
    `CREATE INDEX ${p}tasks_unfinished ON ${p}tasks (created_at, id)
      WHERE status IN ('pending', 'running', 'interrupted')`,
    `CREATE TABLE ${p}instances (id TEXT PRIMARY KEY NOT NULL, expires_at INTEGER NOT NULL,
      started_at INTEGER NOT NULL, meta TEXT NOT NULL DEFAULT '{}')`,
  ],
};
