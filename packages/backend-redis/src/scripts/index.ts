import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { FLOW } from './flow.js';
import { HISTORY } from './history.js';
import { INSTANCES } from './instances.js';
import { JOBS } from './jobs.js';
import { PRELUDE } from './prelude.js';
import { TASKS } from './tasks.js';

/**
 * One script holds every operation (`ops.<name>`, its first argument; the second is the deprecated
 * retention option), so that all share one prelude.
 */
const SCRIPT = `${PRELUDE}${TASKS}${HISTORY}${INSTANCES}${FLOW}${JOBS}
local op = table.remove(ARGV, 1)
prepare(tonumber(table.remove(ARGV, 1)))
local reply = ops[op]()
flush()
return reply`;
/** The command name carries the script's hash: two versions of this package on one client never mix. */
const COMMAND = `errand_${createHash('sha1').update(SCRIPT).digest('hex').slice(0, 12)}`;
type Command = (key: string, op: string, retention: string, args: readonly string[]) => Promise<unknown>;

/** Runs `op` with EVALSHA (the text goes once per connection); `key` is the meta key, `KEYS[1]`. */
export function runScript(
  client: Redis | Cluster,
  key: string,
  op: string,
  retention: number,
  args: readonly string[],
) {
  if (!(COMMAND in client)) client.defineCommand(COMMAND, { numberOfKeys: 1, lua: SCRIPT });
  const command = (client as unknown as Record<string, Command>)[COMMAND]!;
  return command.call(client, key, op, String(retention), args);
}
