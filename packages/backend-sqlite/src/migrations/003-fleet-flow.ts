import type { Migration } from '@errand/sql';

// The claim index is rebuilt for the claim order (priority DESC, created_at, id) over the claimable
// rows only (claimableSql word for word, so the planner can prove it), covering every column the
// candidate filter reads: rows owned by live instances and unowned rows not yet due are skipped
// inside the index. (status, finished_at) serves aggregate() and purge() by status and time.
// Tag lists of earlier releases become objects of empty values, so tag filters see them too.
export const fleetFlow: Migration<string> = {
  version: 3,
  description: 'cancel requests, expiry, headers, tag pairs, the claim order, queues and flow control',
  statements: (p) => [
    `ALTER TABLE ${p}tasks ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE ${p}tasks ADD COLUMN expires_at INTEGER`,
    `ALTER TABLE ${p}tasks ADD COLUMN headers TEXT NOT NULL DEFAULT '{}'`,
    `UPDATE ${p}tasks SET tags = (SELECT json_group_object(value, '') FROM json_each(${p}tasks.tags))
      WHERE tags <> '[]' AND json_type(tags) = 'array'`,
    `DROP INDEX ${p}tasks_unfinished`,
    `CREATE INDEX ${p}tasks_unfinished ON ${p}tasks
      (priority DESC, created_at, id, name, queue, owner, run_at, status, requeue_on_interrupt)
      WHERE (status IN ('pending', 'running') OR (status = 'interrupted' AND requeue_on_interrupt = 1))`,
    `CREATE INDEX ${p}tasks_finished ON ${p}tasks (status, finished_at) WHERE finished_at IS NOT NULL`,
    `CREATE TABLE ${p}queues (name TEXT PRIMARY KEY NOT NULL, paused INTEGER, concurrency INTEGER,
      global_concurrency INTEGER, updated_at INTEGER NOT NULL) WITHOUT ROWID`,
    `CREATE TABLE ${p}counters (key TEXT PRIMARY KEY NOT NULL, value REAL NOT NULL, at INTEGER NOT NULL)
      WITHOUT ROWID`,
    `CREATE TABLE ${p}semaphores (key TEXT NOT NULL, holder TEXT NOT NULL, units INTEGER NOT NULL,
      PRIMARY KEY (key, holder)) WITHOUT ROWID`,
    `CREATE TABLE ${p}locks (name TEXT PRIMARY KEY NOT NULL, holder TEXT NOT NULL, expires_at INTEGER NOT NULL)
      WITHOUT ROWID`,
  ],
};
