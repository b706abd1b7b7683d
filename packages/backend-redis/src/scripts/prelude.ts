import * as core from '@errand/core';

const lost = [core.LOST_OWNER_PREFIX, core.LOST_OWNER_SUFFIX, core.NO_OWNER];
const claimTo = core.TASK_STATUSES.flatMap((status) =>
  [false, true].map((requeueOnInterrupt) => {
    const record = { status, requeueOnInterrupt, owner: null } as core.TaskRecord;
    const claimed = core.isClaimable(record) && core.applyClaim(record, '', 0).status;
    return [status + Number(requeueOnInterrupt), claimed];
  }),
);
/** A Lua table constructor of a JSON value: built once per call, where decoding JSON would cost more. */
function lua(value: unknown): string {
  if (typeof value === 'string') return `[==[${value}]==]`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (Array.isArray(value)) return `{ ${value.map(lua).join(', ')} }`;
  return `{ ${Object.entries(value)
    .map(([key, item]) => `[ ${lua(key)} ] = ${lua(item)}`)
    .join(', ')} }`;
}
/** Core's statuses, claim rules (`status .. requeue` → status once claimed) and lost-owner text. */
const CORE = lua({
  ...{ statuses: core.TASK_STATUSES, finished: core.FINISHED_STATUSES, holdsKey: core.KEY_HOLDING_STATUSES },
  ...{ claimTo: Object.fromEntries(claimTo), lost, lostLower: lost.map((part) => part.toLowerCase()) },
});

/**
 * The Lua every operation shares: key names derived from `KEYS[1]` (so that an ioredis `keyPrefix`
 * and Cluster routing apply to all), the store clock, core's rules and the index rules. Numbers stay
 * the decimal text the package sent: Lua's own formatting (`%.14g`) would round them.
 */
export const PRELUDE = /* lua */ `
local base, ops, C = string.sub(KEYS[1], 1, -5), {}, ${CORE}
local K_ALL, K_KEYS, K_OPEN, K_DELAYED = base .. 'idx:all', base .. 'keys', base .. 'open', base .. 'delayed'
local K_INSTANCES, K_QUEUES, K_OVERRIDES = base .. 'instances', base .. 'done:queues', base .. 'queues'
local INDEXED = { 'status', 'name', 'key', 'owner', 'requeue', 'createdAt', 'finishedAt', 'queue', 'priority', 'runAt', 'cancel' }
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
local function num(value) return string.format('%.0f', value) end
local function push(list, ...) for i = 1, select('#', ...) do list[#list + 1] = (select(i, ...)) end end
local function put(key, field, value)
  if value then redis.call('HSET', key, field, value) else redis.call('HDEL', key, field) end
end
local function set(list) local s = list and {} for _, item in ipairs(list or {}) do s[item] = true end return s end
-- Sorts { score, id } pairs: ids break ties, and fixed-format UUIDs compare alike under any collation.
local function earlier(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end
local FINISHED, HOLDS_KEY, CLAIM_TO, LOST, LOST_LOWER = set(C.finished), set(C.holdsKey), C.claimTo, C.lost, C.lostLower
local function claimable(r) return CLAIM_TO[r.status .. (r.requeue or '0')] end
local function alive(id) return (tonumber(redis.call('ZSCORE', K_INSTANCES, id)) or 0) > now end
local function taskKey(id) return base .. 'task:' .. id end
-- A record's index fields; a version-2 hash (written by an older instance) has no queue, priority or runAt.
local function read(id)
  local f, r = redis.call('HMGET', taskKey(id), unpack(INDEXED)), {}
  if not f[1] then return nil end
  for i, name in ipairs(INDEXED) do r[name] = f[i] or nil end
  r.queue, r.priority, r.runAt = r.queue or 'default', r.priority or '0', r.runAt or r.createdAt
  return r
end
-- Claimable records are in buckets per (priority, queue, owner, name), so that a claim reads only gone
-- owners' buckets, highest priority first. Priority 0 in the default queue keeps version 2's form.
local function token(r)
  local t = r.owner and '+' .. #r.owner .. ':' .. r.owner .. r.name or '-' .. r.name
  if r.priority == '0' and r.queue == 'default' then return t end
  return '!' .. r.priority .. ':' .. #r.queue .. ':' .. r.queue .. t
end
local function parseToken(t)
  local priority, length, rest = string.match(t, '^!(-?%d+):(%d+):(.*)$')
  local queue = priority and string.sub(rest, 1, length) or 'default'
  t = priority and string.sub(rest, length + 1) or t
  local n, tail = string.match(t, '^%+(%d+):(.*)$')
  if not n then return tonumber(priority or 0), queue, nil, string.sub(t, 2) end
  return tonumber(priority or 0), queue, string.sub(tail, 1, n), string.sub(tail, n + 1)
end
-- The sorted sets a record is in (key -> score): history; claimable work in its bucket (unowned work not
-- due yet in 'delayed', by runAt); other finished records by finishedAt per status and queue (aggregates,
-- purges); unfinished work with a cancel request per owner (heartbeats).
local function memberships(r)
  if not r then return {} end
  local at = r.createdAt
  local m = { [K_ALL] = at, [base .. 'idx:status:' .. r.status] = at, [base .. 'idx:name:' .. r.name] = at }
  if r.key then m[base .. 'idx:key:' .. r.key] = at end
  if r.cancel and r.owner and not FINISHED[r.status] then m[base .. 'cancel:' .. r.owner] = at end
  if claimable(r) then
    if not r.owner and tonumber(r.runAt) > now then m[K_DELAYED] = r.runAt else m[K_OPEN .. ':' .. token(r)] = at end
  elseif FINISHED[r.status] and r.finishedAt then
    m[base .. 'done:' .. r.status .. ':' .. r.queue] = r.finishedAt
  end
  return m
end
-- Index changes wait for the end of the call: per key one ZREM of the ids leaving it, then one ZADD of
-- the ids joining it (a batch goes much faster so: a call into Redis costs more than the change). A
-- later change of the same id and key replaces an earlier one, so a record written twice in a batch is
-- indexed as its last; no script reads an index after changing it before the flush.
local adding, removing, registered = {}, {}, { [K_OPEN] = {}, [K_QUEUES] = {} }
local function index(key, id, score)
  local a, r = adding[key], removing[key]
  if not a then a = {} adding[key] = a end
  a[id] = score
  if r then r[id] = nil end
end
local function unindex(key, id)
  local a, r = adding[key], removing[key]
  if not r then r = {} removing[key] = r end
  r[id] = true
  if a then a[id] = nil end
end
-- unpack() is bounded by Lua's C stack (8000 values): calls of at most 4000 arguments.
local function flushKey(command, key, members, paired)
  local args, n = {}, 0
  for id, score in pairs(members) do
    if paired then args[n + 1], args[n + 2], n = score, id, n + 2 else args[n + 1], n = id, n + 1 end
    if n >= 4000 then redis.call(command, key, unpack(args, 1, n)) n = 0 end
  end
  if n > 0 then redis.call(command, key, unpack(args, 1, n)) end
end
local function flush()
  for key, members in pairs(removing) do flushKey('ZREM', key, members, false) end
  for key, members in pairs(adding) do flushKey('ZADD', key, members, true) end
  for key, members in pairs(registered) do
    if next(members) then flushKey('SADD', key, members, false) end
  end
  adding, removing, registered = {}, {}, { [K_OPEN] = {}, [K_QUEUES] = {} }
end
-- Moves the index and key-map entries of record id from old to new (either may be nil). holder: what
-- the key map holds for new's key (false: nothing), when the caller read it already.
local function move(id, old, new, holder)
  local was, is = memberships(old), memberships(new)
  for key in pairs(was) do if not is[key] then unindex(key, id) end end
  for key, score in pairs(is) do if was[key] ~= score then index(key, id, score) end end
  if new and claimable(new) then registered[K_OPEN][token(new)] = true
  elseif new and FINISHED[new.status] then registered[K_QUEUES][new.queue] = true end
  local key = new and HOLDS_KEY[new.status] and new.key
  if old and old.key and old.key ~= key and redis.call('HGET', K_KEYS, old.key) == id then redis.call('HDEL', K_KEYS, old.key) end
  if key then
    if holder == nil then holder = redis.call('HGET', K_KEYS, key) end
    if holder ~= id then redis.call('HSET', K_KEYS, key, id) end
  end
end
local function remove(id)
  move(id, read(id), nil)
  redis.call('DEL', taskKey(id))
end
-- Up to limit records of a finished status finished before 'before', oldest first, in the queues wanted.
local function purge(status, before, only, skip, limit)
  local found = {}
  for _, queue in ipairs(redis.call('SMEMBERS', K_QUEUES)) do
    if (not only or only[queue]) and not skip[queue] then
      local key = base .. 'done:' .. status .. ':' .. queue
      local items = redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. num(before), 'WITHSCORES', 'LIMIT', 0, limit)
      for j = 1, #items, 2 do push(found, { tonumber(items[j + 1]), items[j] }) end
    end
  end
  table.sort(found, earlier)
  for n = 1, math.min(limit, #found) do remove(found[n][2]) end
  return math.min(limit, #found)
end
-- Before every operation: unowned work that came due joins its bucket (at most 1000 a call; a later call
-- takes the rest, and a record rewritten meanwhile is indexed as it is then); the deprecated retention
-- option purges with core's rule.
local function prepare(retention)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', num(now), 'LIMIT', 0, 1000)) do
    redis.call('ZREM', K_DELAYED, id)
    move(id, nil, read(id))
  end
  if retention > 0 then for _, status in ipairs(C.finished) do purge(status, now - retention, nil, {}, 100) end end
  -- The operation reads indexes: they must hold these changes.
  flush()
end
`;
