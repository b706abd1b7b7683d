/** History: `query`, `counts` (core's `matchesQuery` and cursor) and `aggregate`, from the indexes. */
export const HISTORY = /* lua */ `
local FILTERED = { 'status', 'name', 'key', 'error', 'errorLower', 'queue', 'body' }
-- Every wanted pair must match; tags stored as a list (version 2) are keys with empty values.
local function hasTags(body, wanted)
  local own = {}
  for k, v in pairs(cjson.decode(body).tags or {}) do if type(k) == 'number' then own[v] = '' else own[k] = v end end
  for k, v in pairs(wanted) do if own[k] ~= v then return false end end
  return true
end
-- Walks the smallest covering index newest first (several merged) and tests the other fields per record.
local function history()
  local q, best, source = cjson.decode(ARGV[1]), nil, { K_ALL }
  q.key, q.needle, q.statuses, q.names, q.queues = q.idempotencyKey, q.errorContains, set(q.statuses), set(q.names), set(q.queues)
  local function consider(prefix, values)
    local keys, size = {}, 0
    for value in pairs(values or {}) do
      push(keys, base .. prefix .. value)
      size = size + redis.call('ZCOUNT', keys[#keys], q.min, q.max)
    end
    if values and (not best or size < best) then source, best = keys, size end
  end
  consider('idx:key:', q.key and set({ q.key }))
  consider('idx:status:', q.statuses)
  consider('idx:name:', q.names)
  -- The source covers one filter field; any other is tested per record (the body only for tags).
  q.testFields = q.needle or q.queues or q.tags or (q.key and 1 or 0) + (q.statuses and 1 or 0) + (q.names and 1 or 0) > 1
  q.fields = { unpack(FILTERED, 1, q.tags and 7 or 6) }
  function q.passes(f)
    local text = f[5] or f[4]
    return f[1] and (not q.statuses or q.statuses[f[1]]) and (not q.names or q.names[f[2]])
      and (not q.key or f[3] == q.key) and (not q.needle or (text and string.find(text, q.needle, 1, true)))
      and (not q.queues or q.queues[f[6] or 'default']) and (not q.tags or hasTags(f[7], q.tags))
  end
  -- Calls visit(id) newest first, strictly after the cursor, until it returns true.
  function q.walk(visit)
    local cursors = {}
    for i, key in ipairs(source) do cursors[i] = { key = key, max = q.max, offset = 0, items = {}, pos = 1, page = 32 } end
    local function head(c)
      if c.pos > #c.items and c.page > 0 then
        c.items = redis.call('ZREVRANGEBYSCORE', c.key, c.max, q.min, 'WITHSCORES', 'LIMIT', c.offset, c.page)
        c.pos, c.page = 1, #c.items == c.page * 2 and math.min(c.page * 4, 2048) or 0
      end
      return c.items[c.pos], tonumber(c.items[c.pos + 1])
    end
    while true do
      local chosen, id, score = nil, nil, nil
      for _, c in ipairs(cursors) do
        local cid, cscore = head(c)
        if cid and (not chosen or cscore > score or (cscore == score and cid > id)) then chosen, id, score = c, cid, cscore end
      end
      if not chosen then return end
      chosen.offset = chosen.max == chosen.items[chosen.pos + 1] and chosen.offset + 1 or 1
      chosen.max, chosen.pos = chosen.items[chosen.pos + 1], chosen.pos + 2
      if not (q.after and q.after.createdAt == score and id >= q.after.id) and visit(id) then return end
    end
  end
  return q
end
function ops.query()
  local q, out = history(), {}
  q.walk(function(id)
    if q.testFields and not q.passes(redis.call('HMGET', taskKey(id), unpack(q.fields))) then return false end
    push(out, id, redis.call('HGETALL', taskKey(id)))
    return #out >= q.limit * 2
  end)
  return out
end
-- Totals as JSON text. A filter on statuses and time alone is a ZCOUNT per status.
function ops.counts()
  local q, totals = history(), {}
  if q.names or q.key or q.needle or q.queues or q.tags then
    q.walk(function(id)
      local f = redis.call('HMGET', taskKey(id), unpack(q.fields))
      if q.passes(f) then totals[f[1]] = (totals[f[1]] or 0) + 1 end
    end)
  else
    local function count(status) return redis.call('ZCOUNT', base .. 'idx:status:' .. status, q.min, q.max) end
    for status in pairs(q.statuses or set(C.statuses)) do totals[status] = count(status) end
  end
  return cjson.encode(totals)
end
-- Per finished status and queue: a ZCOUNT per bucket, or the scores themselves when there are fewer; the
-- durations of the newest successes; the oldest pending record. Returns flat lists.
function ops.aggregate()
  local a, rows, found, durations = cjson.decode(ARGV[1]), {}, {}, {}
  local from, to, width = num(a.since), a['until'], a.bucketMs
  local first, till = math.floor(a.since / width) * width, '(' .. num(to)
  for _, status in ipairs(C.finished) do
    local counts = {}
    for _, queue in ipairs(redis.call('SMEMBERS', K_QUEUES)) do
      local key = base .. 'done:' .. status .. ':' .. queue
      if redis.call('ZCOUNT', key, from, till) > (to - first) / width then
        for start = first, to - 1, width do
          local n = redis.call('ZCOUNT', key, num(math.max(start, a.since)), '(' .. num(math.min(start + width, to)))
          counts[start] = (counts[start] or 0) + n
        end
      else
        local items = redis.call('ZRANGEBYSCORE', key, from, till, 'WITHSCORES')
        for j = 2, #items, 2 do
          local start = math.floor(items[j] / width) * width
          counts[start] = (counts[start] or 0) + 1
        end
      end
      if status == 'success' then
        local items = redis.call('ZREVRANGEBYSCORE', key, till, from, 'WITHSCORES', 'LIMIT', 0, a.durationSample)
        for j = 1, #items, 2 do push(found, { -items[j + 1], items[j] }) end
      end
    end
    for start, n in pairs(counts) do if n > 0 then push(rows, num(start), status, n) end end
  end
  table.sort(found, earlier)
  for n = 1, #found do
    if #durations >= a.durationSample * 2 then break end
    local f = redis.call('HMGET', taskKey(found[n][2]), 'name', 'duration')
    if f[2] then push(durations, f[1], f[2]) end
  end
  return { rows, durations, redis.call('ZRANGE', base .. 'idx:status:pending', 0, 0, 'WITHSCORES')[2] }
end
`;
