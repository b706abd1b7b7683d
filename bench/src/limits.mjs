// What limits Errand's missed figures, as found by profiling (node --cpu-prof,
// heap snapshots, backend.write wrapping); kept next to the report so that
// every regenerated report says it. Update it when a limit moves.
export const LIMITS = `## What limits Errand now

- **Durable throughput at 32 in flight is bounded by what each task costs its store**:
  - SQLite: a task is one insert (13–15 µs with the indexes history and claims need) and one
    narrow update of its transition (~9 µs), plus ~50 µs of Node per task (the write batcher's
    copy, the driver's binding, the task's own life) on a core shared with the producer. That
    is ~20,000 tasks/s here, 2.6× a prepared insert per transaction (the ceiling column), as
    group commit puts many tasks in one commit. 50,000 would need dropping indexes that queries
    use, or a weaker start guarantee; neither is done.
  - Redis: redis-server spends ~75 µs of CPU per task (one script call per batch; about 8 sorted
    set updates per task for the status, name, time and claim indexes that history queries and
    claims need) and Node ~100 µs, on 2 shared cores. BullMQ spreads ~190 µs per task over many
    small pipelined commands. 3× BullMQ would need both sides about 3× cheaper (a layout without
    the all-tasks index, fewer script arguments per record, no copy per write in core).
  - PostgreSQL and MariaDB: every commit flushes the log to disk (\`synchronous_commit = on\`,
    \`innodb_flush_log_at_trx_commit = 1\`, their defaults); a narrow UPDATE does not help
    PostgreSQL (a status change writes a new row version and every index entry anyway, and the
    narrow form measured 40–70% slower per statement), so it keeps one upsert per record.
- **At 256 in flight durable throughput falls on every store** instead of growing: with 32 slots,
  224 tasks wait for one, so each pays a separate start commit (accept, start, finish: 3 writes
  instead of 2) and its slot is idle while that commit is in flight — a task's start is stored
  before its function runs, so a crash can never run it twice. Group commit batches the accepts,
  not the slot-by-slot starts. Raising \`concurrency\` with the in-flight count is what scales.
- **Fleet**: on 2 cores shared by the store, the producer and the workers, more worker processes
  add CPU contention, not CPU; 1 → 2 workers on PostgreSQL is 1.8×, 4 is not faster. Wake-ups:
  PostgreSQL LISTEN/NOTIFY and Redis pub/sub start shared tasks within milliseconds; MySQL and
  SQLite poll (\`pollInterval\`, 1 s by default), so their latency is about half of it.
- **Retention on MariaDB** delays enqueues most (p99 57 ms against 13–15 ms on PostgreSQL and
  SQLite while 1,000,000 rows go): each batched DELETE holds InnoDB locks on the secondary index
  pages an INSERT also touches. Smaller batches would trade cleanup time for it.
- **Server workload**: Errand's handler answers after its durable enqueue's group commit, so
  req/s follows each store's commit rate; the tasks keep running after the load stops (the
  "tasks run" column counts those done by the end).
- **Memory per retained record**: under 1 KiB since records share empty tags, headers and logs
  and the finished list lets evicted records go at once (it kept up to \`maxRecords\` of them).
`;
