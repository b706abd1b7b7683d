import { createHash } from 'node:crypto';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { CLAIM_SCRIPT } from './claim.js';
import { CLAIM_TICK_SCRIPT } from './claim-tick.js';
import { COUNTS_SCRIPT } from './counts.js';
import { DUE_JOBS_SCRIPT } from './due-jobs.js';
import { GET_SCRIPT } from './get.js';
import { GET_JOB_SCRIPT } from './get-job.js';
import { HEARTBEAT_SCRIPT } from './heartbeat.js';
import { INSTANCES_SCRIPT } from './instances.js';
import { LIST_JOBS_SCRIPT } from './list-jobs.js';
import { MARK_ORPHANS_SCRIPT } from './mark-orphans.js';
import { NOW_SCRIPT } from './now.js';
import { OPEN_SCRIPT } from './open.js';
import { QUERY_SCRIPT } from './query.js';
import { RECORD_OUTCOME_SCRIPT } from './record-outcome.js';
import { REGISTER_JOB_SCRIPT } from './register-job.js';
import { REMOVE_INSTANCE_SCRIPT } from './remove-instance.js';
import { REMOVE_JOB_SCRIPT } from './remove-job.js';
import { SET_PAUSED_SCRIPT } from './set-paused.js';
import { WRITE_SCRIPT } from './write.js';

const SCRIPTS = {
  open: OPEN_SCRIPT,
  write: WRITE_SCRIPT,
  get: GET_SCRIPT,
  query: QUERY_SCRIPT,
  counts: COUNTS_SCRIPT,
  claim: CLAIM_SCRIPT,
  heartbeat: HEARTBEAT_SCRIPT,
  removeInstance: REMOVE_INSTANCE_SCRIPT,
  instances: INSTANCES_SCRIPT,
  now: NOW_SCRIPT,
  listJobs: LIST_JOBS_SCRIPT,
  getJob: GET_JOB_SCRIPT,
  registerJob: REGISTER_JOB_SCRIPT,
  markOrphans: MARK_ORPHANS_SCRIPT,
  removeJob: REMOVE_JOB_SCRIPT,
  setPaused: SET_PAUSED_SCRIPT,
  claimTick: CLAIM_TICK_SCRIPT,
  recordOutcome: RECORD_OUTCOME_SCRIPT,
  dueJobs: DUE_JOBS_SCRIPT,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/**
 * The command name each script gets on a client. It carries the script's
 * hash, so two versions of this package sharing one application client
 * never run each other's script under the same name.
 */
const COMMANDS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, lua]) => [
    name,
    `errand_${name}_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`,
  ]),
) as Record<ScriptName, string>;

type ScriptMethod<R> = (key: string, args: readonly string[]) => R;

/**
 * Registers every script on a client with ioredis `defineCommand`: EVALSHA,
 * with the script text sent once per connection (and again after a
 * NOSCRIPT), on a single node or a cluster.
 */
export function defineScripts(client: Redis | Cluster): void {
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    const command = COMMANDS[name];
    if (typeof (client as unknown as Record<string, unknown>)[command] !== 'function') {
      client.defineCommand(command, { numberOfKeys: 1, lua: SCRIPTS[name] });
    }
  }
}

/** Runs a script defined by {@link defineScripts}; `key` is `KEYS[1]` (the meta key). */
export function runScript(
  client: Redis | Cluster,
  name: ScriptName,
  key: string,
  args: readonly string[],
): Promise<unknown> {
  const method = (client as unknown as Record<string, ScriptMethod<Promise<unknown>>>)[COMMANDS[name]]!;
  return method.call(client, key, args);
}

/** Queues a script call on a pipeline or MULTI. */
export function queueScript(
  pipeline: ChainableCommander,
  name: ScriptName,
  key: string,
  args: readonly string[],
): void {
  const method = (pipeline as unknown as Record<string, ScriptMethod<unknown>>)[COMMANDS[name]]!;
  method.call(pipeline, key, args);
}
