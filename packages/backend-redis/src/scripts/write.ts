import { PRELUDE } from './prelude.js';

/** ARGV slots per record, in the order `recordArgs()` in `row.ts` lays them out. */
export const WRITE_FIELDS = 11;

/**
 * Lua shared by `write()` and `claimTick()`: `storeRecords(now, retention,
 * first)` stores the records laid out from `ARGV[first]` on,
 * {@link WRITE_FIELDS} slots each: id, name, status, createdAt, owner?,
 * key?, requeue (0|1), finishedAt?, error?, errorLower?, body (JSON of the
 * other fields). Needs the prelude.
 *
 * Per record, in order: an idempotency key held by another id is a conflict
 * (reported, not written); otherwise the fencing rule decides whether an
 * existing record may be replaced; then the hash is replaced in full and
 * every index follows the change. Returns `[id, holderId, ...]` of conflicts.
 */
export const STORE_RECORDS = /* lua */ `
local function storeRecords(now, retention, first)
  local conflicts = {}

  -- Sorted-set additions are collected and sent as one ZADD per index at the
  -- end: far cheaper than a ZADD per record and index. A removal drops a
  -- pending addition too, so a record written twice in one batch ends up in
  -- the indexes of its last version only.
  local additions = {}
  local function addLater(key, score, id)
    local members = additions[key]
    if not members then
      members = {}
      additions[key] = members
    end
    members[id] = score
  end
  local function removeNow(key, id)
    local members = additions[key]
    if members then members[id] = nil end
    redis.call('ZREM', key, id)
  end
  local buckets = {}

  for i = first, #ARGV, ${WRITE_FIELDS} do
    local id, name, status, createdAt = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local owner, key, requeue = opt(ARGV[i + 4]), opt(ARGV[i + 5]), ARGV[i + 6]
    local finishedAt, err, errLower = opt(ARGV[i + 7]), opt(ARGV[i + 8]), opt(ARGV[i + 9])
    local hkey = taskKey(id)
    local apply = true

    if key and holdsKey(status) then
      local holder = redis.call('HGET', K_KEYS, key)
      if holder and holder ~= id then
        conflicts[#conflicts + 1] = id
        conflicts[#conflicts + 1] = holder
        apply = false
      end
    end

    local old = nil
    if apply then
      local f = redis.call('HMGET', hkey, 'status', 'owner', 'name', 'createdAt', 'key', 'requeue')
      if f[1] then
        old = { status = f[1], owner = f[2] or nil, name = f[3], createdAt = f[4], key = f[5] or nil, requeue = f[6] }
        -- Fencing: only the owner (or anyone, on an ownerless record) may
        -- update; a finished record may be moved back to pending by anyone.
        if old.owner and old.owner ~= owner and not (isFinished(old.status) and status == 'pending') then
          apply = false
        end
      end
    end

    if apply then
      if old then redis.call('DEL', hkey) end
      local fields = { 'name', name, 'status', status, 'createdAt', createdAt, 'requeue', requeue, 'body', ARGV[i + 10] }
      if owner then fields[#fields + 1] = 'owner'; fields[#fields + 1] = owner end
      if key then fields[#fields + 1] = 'key'; fields[#fields + 1] = key end
      if finishedAt then fields[#fields + 1] = 'finishedAt'; fields[#fields + 1] = finishedAt end
      if err then fields[#fields + 1] = 'error'; fields[#fields + 1] = err end
      if errLower then fields[#fields + 1] = 'errorLower'; fields[#fields + 1] = errLower end
      redis.call('HSET', hkey, unpack(fields))

      local moved = (old == nil) or old.createdAt ~= createdAt
      if moved then addLater(K_ALL, createdAt, id) end

      if old and old.status ~= status then removeNow(base .. 'idx:status:' .. old.status, id) end
      if moved or old.status ~= status then addLater(base .. 'idx:status:' .. status, createdAt, id) end

      if old and old.name ~= name then removeNow(base .. 'idx:name:' .. old.name, id) end
      if moved or old.name ~= name then addLater(base .. 'idx:name:' .. name, createdAt, id) end

      local oldKey = old and old.key
      if oldKey and oldKey ~= key then removeNow(base .. 'idx:key:' .. oldKey, id) end
      if key and (moved or oldKey ~= key) then addLater(base .. 'idx:key:' .. key, createdAt, id) end
      if oldKey and (oldKey ~= key or not holdsKey(status)) and redis.call('HGET', K_KEYS, oldKey) == id then
        redis.call('HDEL', K_KEYS, oldKey)
      end
      if key and holdsKey(status) then redis.call('HSET', K_KEYS, key, id) end

      local oldToken = nil
      if old and isClaimable(old.status, old.requeue) then oldToken = bucketToken(old.owner, old.name) end
      local newToken = nil
      if isClaimable(status, requeue) then newToken = bucketToken(owner, name) end
      if oldToken ~= newToken and oldToken then removeNow(K_OPEN .. ':' .. oldToken, id) end
      if newToken and (oldToken ~= newToken or moved) then
        addLater(K_OPEN .. ':' .. newToken, createdAt, id)
        buckets[newToken] = true
      end

      if retention > 0 and isFinished(status) and not isClaimable(status, requeue) then
        local from = now
        if finishedAt then from = tonumber(finishedAt) end
        addLater(K_EXPIRY, num(from + retention), id)
      elseif old and isFinished(old.status) then
        removeNow(K_EXPIRY, id)
      end
    end
  end

  for key, members in pairs(additions) do
    local args = {}
    for id, score in pairs(members) do
      args[#args + 1] = score
      args[#args + 1] = id
      -- unpack() is bounded by the Lua C stack (8000 values).
      if #args >= 4000 then
        redis.call('ZADD', key, unpack(args))
        args = {}
      end
    end
    if #args > 0 then redis.call('ZADD', key, unpack(args)) end
  end
  for token in pairs(buckets) do redis.call('SADD', K_OPEN, token) end
  return conflicts
end
`;

/**
 * `write()`: one call stores a whole batch (the group commit), with
 * {@link STORE_RECORDS}.
 *
 * ARGV: retention ms (0 = keep forever), then {@link WRITE_FIELDS} slots per
 * record (see `recordArgs()` in `row.ts`). Returns `[id, holderId, ...]` of
 * conflicts.
 */
export const WRITE_SCRIPT = /* lua */ `${PRELUDE}
${STORE_RECORDS}
local now = storeNow()
prune(now)
return storeRecords(now, tonumber(ARGV[1]), 2)
`;
