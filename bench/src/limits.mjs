// What limits Errand's missed figures, as found by profiling (node --cpu-prof,
// heap snapshots, backend.write wrapping); kept next to the report so that
// every regenerated report says it. Update it when a limit moves.
export const LIMITS = `## What limits Errand now

- **Durable throughput is bounded by the workload's 32 enqueues in flight.** Each producer waits
  for its enqueue's commit, so one commit carries at most 32 new tasks, and throughput is at most
  32 / (commit round trip). Group commit cannot batch what has not arrived; up to 4 commits run at
  once (\`maxWritesInFlight\`, +25% against a store 2 ms away), but each producer still waits for
  its own. Node itself is mostly idle in the durable runs:
  - PostgreSQL and MariaDB: every commit flushes the log to disk (\`synchronous_commit = on\`,
    \`innodb_flush_log_at_trx_commit = 1\`, their defaults), so the round trip includes an fsync.
    Errand's write statement itself is as fast as the raw driver's (flush table).
  - Redis: redis-server is CPU-bound running the write script, about ten index updates per record
    (hash, time, status, name, claim and key indexes, all of which history queries and claims
    need), on a core it shares with Node here.
  - SQLite: CPU-bound in better-sqlite3's upsert, ~16 µs per row (22 columns, 5 secondary
    indexes); the raw driver on the same table is no faster (flush table). A durable task writes
    2 rows when it starts at once and 3 when it has to wait for a slot (its start is stored before
    its function runs, so that a crash can never run it twice); in this workload most tasks wait,
    ~2.9 rows per task, which caps durable SQLite near 20,000 tasks/s. 50,000 would need a leaner
    table (fewer indexes, slower history queries) or a weaker guarantee; neither is done.
- **Latency:** on each store Errand's p50 is below that store's peers (Redis durable vs BullMQ;
  PostgreSQL durable vs pg-boss and graphile-worker); durable MySQL pays a commit with an fsync
  before the task starts.
- **Memory per retained record** (in memory): the record (23 fields), its in-memory state, its
  args/tags/logs arrays and two map entries. Task ids used to be kept by V8 as trees of string
  fragments (~489 B each); they are now flat (~61 B), which took the figure from 2,108 B to the
  one above. Under 1 KiB needs a leaner record layout (shared empty arrays, one object per task);
  not done yet.
`;
