import type { ClaimRequest } from '@errand/core';
import {
  claimAssignments,
  claimCandidatesWhere,
  claimOrder,
  Params,
  postgresDialect,
  setList,
} from '@errand/sql';
import type { Tables } from '../tables.js';

/**
 * One statement on the store clock, checking the claimer's own heartbeat too. It reads the small
 * `tasks_claim_order` index in claim order and stops at the limit; `SKIP LOCKED` makes claimers
 * split the rows, and a row another claimer took first is checked again on its new version, whose
 * owner is alive. Never prepared: a generic plan cannot see that the filters keep most claimable
 * rows, so it would sort them all instead of reading the index in order up to the limit.
 */
export function claimStatement(t: Tables, request: ClaimRequest) {
  const params = new Params(postgresDialect);
  const filter = { ...request, deadOwners: request.deadOwners ?? [] };
  const where = claimCandidatesWhere(t, filter, postgresDialect, params, '(SELECT ms FROM clock)');
  const limit = params.add(Math.floor(request.limit));
  const set = setList(claimAssignments(postgresDialect, params.add(request.instanceId), 'clock.ms', 't'));
  const sql = `WITH clock AS (SELECT ${postgresDialect.now} AS ms),
candidates AS (
  SELECT t.id FROM ${t.tasks} t WHERE ${where}
  ORDER BY ${claimOrder('t')} LIMIT ${limit} FOR UPDATE OF t SKIP LOCKED),
claimed AS (UPDATE ${t.tasks} t SET ${set} FROM candidates c, clock WHERE t.id = c.id RETURNING t.*)
SELECT * FROM claimed ORDER BY ${claimOrder()}`;
  return { sql, values: params.values };
}
