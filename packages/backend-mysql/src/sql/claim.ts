import { applyClaim, type ClaimRequest, type TaskRecord } from '@errand/core';
import {
  claimAssignments,
  claimCandidatesWhere,
  claimOrder,
  mysqlDialect,
  Params,
  type Procedure,
  setList,
  text,
} from '@errand/sql';
import { taskColumns } from '../row.js';
import type { Tables } from '../tables.js';

const [NOW, COLUMNS, ORDER] = [mysqlDialect.now, taskColumns('t.'), claimOrder('t')];

// At READ COMMITTED: REPEATABLE READ would keep next-key locks on every row and gap scanned. `claim_order`
// walks the claimable rows in claim order, stopping after `limit` taken (MariaDB before 10.8 sorts them
// first); heartbeats are in subqueries, which the read does not lock.
export function* claimProcedure(
  t: Tables,
  request: ClaimRequest,
  decode: (row: Record<string, unknown>) => TaskRecord,
): Procedure<TaskRecord[]> {
  const params = new Params(mysqlDialect);
  const where = claimCandidatesWhere(t, request, mysqlDialect, params, NOW);
  const { rows } = yield {
    sql: `SELECT ${COLUMNS}, ${NOW} AS store_now FROM ${t.tasks} AS t FORCE INDEX (claim_order)
      WHERE t.claimable = 1 AND ${where}
      ORDER BY ${ORDER} LIMIT ${params.add(request.limit)} FOR UPDATE SKIP LOCKED`,
    values: params.values,
  };
  if (rows.length === 0) return [];
  const [now, ids] = [Number(rows[0]!.store_now), rows.map((row) => text(row.id))];
  const set = setList(claimAssignments(mysqlDialect, '?', '?'));
  yield { sql: `UPDATE ${t.tasks} SET ${set} WHERE id IN (?)`, values: [now, request.instanceId, ids] };
  return rows.map((row) => applyClaim(decode(row), request.instanceId, now));
}
