/**
 * The task operations. `storeRecords` applies the rules of `write()` to the records after `ARGV[at]`
 * (each its id, a count, its hash's field/value pairs, `body` first); no command in it fails on data
 * the package sends, so a batch is stored whole or not at all.
 */
export const TASKS = /* lua */ `
-- write() puts cancelRequested first in the body; a version-2 body has none.
local function flagBody(body)
  if string.sub(body, 1, 24) == '{"cancelRequested":false' then return '{"cancelRequested":true' .. string.sub(body, 25) end
  return string.sub(body, 1, 23) == '{"cancelRequested":true' and body or '{"cancelRequested":true,' .. string.sub(body, 2)
end
-- The stored hash as a table, and its index fields as read() gives them; nil when there is none.
local function readHash(key)
  local flat, f, r = redis.call('HGETALL', key), {}, {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  if not f.status then return nil, nil end
  for _, name in ipairs(INDEXED) do r[name] = f[name] end
  r.queue, r.priority, r.runAt = r.queue or 'default', r.priority or '0', r.runAt or r.createdAt
  return f, r
end
-- Makes the hash hold exactly the pairs ARGV[from..to] (and a kept cancel flag), writing only the
-- fields that changed: a start or a finish changes a few of them.
local function replaceHash(key, stored, from, to, keepCancel)
  local changed, gone, n = {}, {}, 0
  for j = from, to, 2 do
    local field, value = ARGV[j], ARGV[j + 1]
    if not stored or stored[field] ~= value then changed[n + 1], changed[n + 2], n = field, value, n + 2 end
    if stored then stored[field] = nil end
  end
  if stored and keepCancel then stored.cancel = nil end
  for field in pairs(stored or {}) do push(gone, field) end
  if n > 0 then redis.call('HSET', key, unpack(changed, 1, n)) end
  if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
end
-- Writes a patch (ARGV[from..mid] pairs, ARGV[mid + 1..to] fields gone) where it differs from the hash.
local function patchHash(key, stored, from, mid, to)
  local changed, gone = {}, {}
  for j = from, mid, 2 do
    if stored[ARGV[j]] ~= ARGV[j + 1] then push(changed, ARGV[j], ARGV[j + 1]) end
  end
  for j = mid + 1, to do if stored[ARGV[j]] then push(gone, ARGV[j]) end end
  if #changed > 0 then redis.call('HSET', key, unpack(changed)) end
  if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
end
-- A record is its id, then the count of its hash's values and the pairs, or a patch against what its
-- writer stored last: '~<changed>:<gone>:<status>', the changed pairs (the owner always), the fields
-- gone. A patch applies only to a hash as that writer left it (that status and owner, no cancel
-- request); otherwise its id is answered as stale, and the writer sends the record whole.
local function storeRecords(at)
  local conflicts, fenced, stale = {}, {}, {}
  while at < #ARGV do
    local id, head = ARGV[at + 1], ARGV[at + 2]
    local changes, drops, base = string.match(head, '^~(%d+):(%d+):(.*)$')
    local from, key = at + 3, taskKey(id)
    local mid = changes and from + changes - 1
    local to = changes and mid + drops or at + 2 + head
    local stored, old = readHash(key)
    local r, outdated = {}, false
    if not changes then
      for j = from, to, 2 do r[ARGV[j]] = ARGV[j + 1] end
    elseif not old or old.status ~= base or old.cancel then
      outdated = true
    else
      for field, value in pairs(stored) do r[field] = value end
      for j = from, mid, 2 do r[ARGV[j]] = ARGV[j + 1] end
      for j = mid + 1, to do r[ARGV[j]] = nil end
      outdated = old.owner ~= r.owner
    end
    -- What the key map holds for the key this record would hold (false: nothing), nil when it holds none.
    local holder = nil
    if not outdated and r.key and HOLDS_KEY[r.status] then holder = redis.call('HGET', K_KEYS, r.key) end
    local retry = old and FINISHED[old.status] and r.status == 'pending'
    if outdated then
      push(stale, id)
    elseif holder and holder ~= id then
      push(conflicts, id, holder)
    elseif old and old.owner and old.owner ~= r.owner and not retry then
      push(fenced, id)
    elseif changes then
      patchHash(key, stored, from, mid, to)
      move(id, old, r, holder)
    else
      -- A cancel request survives the owner's writes; only a manual retry clears it.
      local sticky = old and old.cancel and not r.cancel and not retry
      if sticky then r.cancel, ARGV[from + 1] = '1', flagBody(ARGV[from + 1]) end
      replaceHash(key, stored, from, to, sticky)
      move(id, old, r, holder)
    end
    at = to
  end
  return conflicts, fenced, stale
end
function ops.write() return { storeRecords(0) } end
function ops.getMany()
  local out = {}
  for _, id in ipairs(ARGV) do
    local hash = redis.call('HGETALL', taskKey(id))
    if #hash > 0 then push(out, id, hash) end
  end
  return out
end
-- Unfinished work of a live owner gets a request (its heartbeat reports it); other pending work ends here.
function ops.cancel()
  local id = ARGV[1]
  local key, old, new = taskKey(id), read(id), read(id)
  if not old then return 'missing' end
  if FINISHED[old.status] then return 'finished' end
  new.cancel = '1'
  redis.call('HSET', key, 'cancel', '1', 'body', flagBody(redis.call('HGET', key, 'body')))
  if old.status == 'pending' and not (old.owner and alive(old.owner)) then
    new.status, new.finishedAt = 'cancelled', num(now)
    redis.call('HSET', key, 'status', 'cancelled', 'finishedAt', new.finishedAt, 'error', 'cancelled')
    redis.call('HDEL', key, 'errorLower')
  end
  move(id, old, new)
  return new.status == 'cancelled' and 'cancelled' or 'requested'
end
local function take(id, me, meLower)
  local key, old, new = taskKey(id), read(id), read(id)
  local lostLower = old.owner and (redis.call('HGET', key, 'ownerLower') or string.lower(old.owner))
  new.owner, new.status = me, CLAIM_TO[old.status .. old.requeue]
  redis.call('HSET', key, 'owner', me, 'status', new.status)
  put(key, 'ownerLower', meLower)
  if FINISHED[new.status] then
    local lower = LOST_LOWER[1] .. (lostLower or LOST_LOWER[3]) .. LOST_LOWER[2]
    new.finishedAt, new.error = num(now), LOST[1] .. (old.owner or LOST[3]) .. LOST[2]
    redis.call('HSET', key, 'finishedAt', new.finishedAt, 'error', new.error)
    put(key, 'errorLower', lower ~= new.error and lower)
  end
  move(id, old, new)
  return redis.call('HGETALL', key)
end
-- Only for a live claimer; reads only the buckets of gone owners (a live one's backlog costs nothing),
-- highest priority first, at most the limit from each.
function ops.claim()
  local c, levels, order, claimed = cjson.decode(ARGV[1]), {}, {}, {}
  local me, dead, wanted, skip = c.instanceId, set(c.deadOwners) or {}, set(c.names), set(c.excludeQueues) or {}
  if c.limit < 1 or not alive(me) then return {} end
  for _, t in ipairs(redis.call('SMEMBERS', K_OPEN)) do
    local priority, queue, owner, name = parseToken(t)
    if redis.call('EXISTS', K_OPEN .. ':' .. t) == 0 then
      redis.call('SREM', K_OPEN, t)
    elseif wanted[name] and not skip[queue] and (owner and dead[owner]
        or not c.onlyDeadOwners and (not owner or owner ~= me and not alive(owner))) then
      if not levels[priority] then levels[priority] = {} push(order, priority) end
      push(levels[priority], K_OPEN .. ':' .. t)
    end
  end
  table.sort(order, function(a, b) return a > b end)
  for _, priority in ipairs(order) do
    local want, candidates = c.limit - #claimed / 2, {}
    if want < 1 then break end
    for _, key in ipairs(levels[priority]) do
      local items = redis.call('ZRANGE', key, 0, want - 1, 'WITHSCORES')
      for j = 1, #items, 2 do push(candidates, { tonumber(items[j + 1]), items[j] }) end
    end
    table.sort(candidates, earlier)
    for n = 1, math.min(want, #candidates) do push(claimed, candidates[n][2], take(candidates[n][2], me, c.meLower)) end
  end
  return claimed
end
`;
