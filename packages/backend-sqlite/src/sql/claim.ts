import type { ClaimRequest, TaskRecord } from '@errand/core';
import {
  claimAssignments,
  claimCandidatesWhere,
  claimOrder,
  sqliteDialect as dialect,
  Params,
  type Procedure,
  type SqlTables,
  setList,
} from '@errand/sql';

// One UPDATE ... WHERE id IN (first candidates) RETURNING *, run in BEGIN IMMEDIATE, which SQLite
// serialises against every writer of the file: no record goes to two claimers. Leases are judged
// on SQLite's clock, the one heartbeats are written with.
export function* claimProcedure(
  t: SqlTables,
  prefix: string,
  request: ClaimRequest,
  decode: (row: Record<string, unknown>) => TaskRecord,
): Procedure<TaskRecord[]> {
  const params = new Params(dialect);
  const set = setList(claimAssignments(dialect, params.add(request.instanceId), dialect.now));
  const filter = { ...request, deadOwners: request.deadOwners ?? [] };
  // Candidates come in claim order from the partial index of claimable tasks, which holds every
  // column the filter reads: left to itself, the planner walks every task of the names, history
  // included.
  const sql = `UPDATE ${t.tasks} SET ${set} WHERE id IN (
    SELECT t.id FROM ${t.tasks} t INDEXED BY ${prefix}tasks_unfinished
    WHERE ${claimCandidatesWhere(t, filter, dialect, params, dialect.now)}
    ORDER BY ${claimOrder('t')} LIMIT ${params.add(request.limit)}) RETURNING *`;
  const records = (yield { sql, values: params.values }).rows.map(decode);
  // RETURNING follows the update's order, not the subquery's.
  return records.sort(
    (a, b) => b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1),
  );
}
