import { LOST_OWNER_PREFIX, LOST_OWNER_SUFFIX, NO_OWNER } from '@errand/core';
import { literal, type Params, type SqlDialect } from './dialect.js';
import { claimableSql, col } from './statuses.js';

/** Names of the tables a claim reads. */
export interface ClaimTables {
  tasks: string;
  instances: string;
}

/** What a claim statement binds: see `ClaimRequest` of `@errand/core`. */
export interface ClaimFilter {
  instanceId: string;
  names: readonly string[];
  deadOwners?: readonly string[];
  /** Only the work of `deadOwners` (see `ClaimRequest.onlyDeadOwners`). */
  onlyDeadOwners?: boolean;
  /** Leave the work of these queues alone (see `ClaimRequest.excludeQueues`). */
  excludeQueues?: readonly string[];
}

/**
 * The rows a claim may take, as the WHERE clause of its candidate scan over
 * `tasks` aliased `alias`:
 * - the claimer's own heartbeat is alive in the store (checked in the same
 *   statement, so an instance that lost its lease takes nothing);
 * - the row is claimable, its name is one the claimer runs, and its queue
 *   is not one of `excludeQueues`;
 * - its owner is null and it is due, or proven dead (`deadOwners`, which
 *   may include the claimer itself), or another instance with no live
 *   heartbeat.
 *
 * `now` is the store-clock expression (or a bound value) to judge leases by.
 */
export function claimCandidatesWhere(
  tables: ClaimTables,
  filter: ClaimFilter,
  dialect: SqlDialect,
  params: Params,
  now: string,
  alias = 't',
): string {
  // Values are bound in the order their placeholders appear: `?` dialects number them by position.
  const owner = col(alias, 'owner');
  const deadOwners = filter.deadOwners ?? [];
  const names = dialect.inList(col(alias, 'name'), filter.names, params);
  const excluded = filter.excludeQueues ?? [];
  const queues =
    excluded.length > 0 ? `\n    AND NOT ${dialect.inList(col(alias, 'queue'), excluded, params)}` : '';
  let owners: string;
  if (filter.onlyDeadOwners) {
    owners = deadOwners.length > 0 ? dialect.inList(owner, deadOwners, params) : '1 = 0';
  } else {
    const dead = deadOwners.length > 0 ? ` OR ${dialect.inList(owner, deadOwners, params)}` : '';
    // Unowned work only once due; a gone owner's work whenever it is due.
    owners = `(${owner} IS NULL AND ${col(alias, 'run_at')} <= ${now})${dead} OR (${owner} <> ${params.add(filter.instanceId)} AND NOT EXISTS (
      SELECT 1 FROM ${tables.instances} i WHERE i.id = ${owner} AND i.expires_at > ${now}))`;
  }
  const me = params.add(filter.instanceId);
  return `${claimableSql(dialect, alias)}
    AND ${names}${queues}
    AND (${owners})
    AND EXISTS (SELECT 1 FROM ${tables.instances} claimer WHERE claimer.id = ${me} AND claimer.expires_at > ${now})`;
}

/**
 * The assignments that apply a claim to a row, in the order they must run
 * (MySQL assigns left to right, each seeing the columns assigned before):
 * `finished_at` and `error` read the old `status` and `owner`, so those two
 * change last. A `running` row whose work may not run twice becomes
 * `interrupted` with an error naming the lost owner; every other row
 * becomes `pending`. `owner` is set to the bound `claimer` placeholder.
 */
export function claimAssignments(
  dialect: SqlDialect,
  claimer: string,
  now: string,
  alias: string | null = null,
): Array<[column: string, expression: string]> {
  const c = (column: string) => col(alias, column);
  const lost = `${c('status')} = 'running' AND NOT (${dialect.isTrue(c('requeue_on_interrupt'))})`;
  const message = dialect.concat(
    literal(LOST_OWNER_PREFIX),
    `COALESCE(${dialect.name === 'mysql' ? `CONVERT(${c('owner')} USING utf8mb4)` : c('owner')}, ${literal(NO_OWNER)})`,
    literal(LOST_OWNER_SUFFIX),
  );
  return [
    ['finished_at', `CASE WHEN ${lost} THEN ${now} ELSE ${c('finished_at')} END`],
    ['error', `CASE WHEN ${lost} THEN ${message} ELSE ${c('error')} END`],
    ['status', `CASE WHEN ${lost} THEN 'interrupted' ELSE 'pending' END`],
    ['owner', claimer],
  ];
}

/** `a = x, b = y` from {@link claimAssignments}. */
export function setList(assignments: Array<[string, string]>): string {
  return assignments.map(([column, expression]) => `${column} = ${expression}`).join(',\n    ');
}

/** The order claims take work in: highest priority first, then oldest, then id. */
export function claimOrder(alias: string | null = null): string {
  return `${col(alias, 'priority')} DESC, ${col(alias, 'created_at')}, ${col(alias, 'id')}`;
}
