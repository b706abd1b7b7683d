import type { NormalizedTaskQuery } from '@errand/core';

/**
 * Lua shared by `query()` and `counts()`: parses the filter, picks the
 * smallest index that covers part of it, and walks that index newest first.
 *
 * ARGV: limit, since?, until?, afterScore?, afterId, key?, errorContains?,
 * then a count and that many statuses, then a count and that many names.
 *
 * Several statuses (or names) are several sorted sets: their members are
 * disjoint, so the walk merges them by `(score desc, member desc)`. Members
 * of equal score come in reverse byte order, which for UUIDv7 ids is
 * newest first, as `created_at DESC, id DESC` in SQL.
 */
export const HISTORY_WALK = /* lua */ `
local limit = tonumber(ARGV[1])
local since, untilAt = opt(ARGV[2]), opt(ARGV[3])
local afterScore, afterId = opt(ARGV[4]), ARGV[5]
local wantKey, needle = opt(ARGV[6]), opt(ARGV[7])
local statuses, names = nil, nil
local at = 8
local count = tonumber(ARGV[at])
if count > 0 then
  statuses = {}
  for i = 1, count do statuses[i] = ARGV[at + i] end
end
at = at + count + 1
count = tonumber(ARGV[at])
if count > 0 then
  names = {}
  for i = 1, count do names[i] = ARGV[at + i] end
end

local minScore = since or '-inf'
local maxScore = '+inf'
local skipScore = nil
if untilAt then maxScore = '(' .. untilAt end
if afterScore and (not untilAt or tonumber(afterScore) < tonumber(untilAt)) then
  maxScore = afterScore
  skipScore = tonumber(afterScore)
end

local function asSet(list)
  if not list then return nil end
  local set = {}
  for _, value in ipairs(list) do set[value] = true end
  return set
end
local statusSet, nameSet = asSet(statuses), asSet(names)

local function prefixed(prefix, list)
  local keys = {}
  for i, value in ipairs(list) do keys[i] = prefix .. value end
  return keys
end

local function rangeSize(keys)
  local total = 0
  for _, key in ipairs(keys) do total = total + redis.call('ZCOUNT', key, minScore, maxScore) end
  return total
end

-- The source: the smallest of the indexes that cover one filter field.
local sourceKeys, covers, best = { K_ALL }, nil, nil
local function consider(keys, field)
  local size = rangeSize(keys)
  if not best or size < best then sourceKeys, covers, best = keys, field, size end
end
if wantKey then consider({ base .. 'idx:key:' .. wantKey }, 'key') end
if statuses then consider(prefixed(base .. 'idx:status:', statuses), 'status') end
if names then consider(prefixed(base .. 'idx:name:', names), 'name') end

-- Whether a record (its status, name, key, error, errorLower fields) passes
-- the filter fields that the source does not already guarantee.
local function passes(f)
  if statusSet and covers ~= 'status' and not statusSet[f[1]] then return false end
  if nameSet and covers ~= 'name' and not nameSet[f[2]] then return false end
  if wantKey and covers ~= 'key' and f[3] ~= wantKey then return false end
  if needle then
    local haystack = f[5] or f[4]
    if not haystack or not string.find(haystack, needle, 1, true) then return false end
  end
  return true
end
local needsFields = (statusSet and covers ~= 'status') or (nameSet and covers ~= 'name')
  or (wantKey and covers ~= 'key') or needle

-- Calls visit(id, score) for each member of the source newest first,
-- strictly after the cursor, until visit returns true. Each sorted set is
-- read in pages continuing from the last score seen (inclusive) with an
-- offset of the members already taken at that score, so ties never repeat.
local function walk(visit)
  local cursors = {}
  for i, key in ipairs(sourceKeys) do
    cursors[i] = { key = key, max = maxScore, offset = 0, items = {}, pos = 1, more = true, page = 32, last = nil, ties = 0 }
  end
  local function head(c)
    if c.pos > #c.items then
      if not c.more then return nil end
      c.items = redis.call('ZREVRANGEBYSCORE', c.key, c.max, minScore, 'WITHSCORES', 'LIMIT', c.offset, c.page)
      c.pos = 1
      c.more = #c.items == c.page * 2
      c.page = math.min(c.page * 4, 2048)
      if #c.items == 0 then return nil end
    end
    return c.items[c.pos], c.items[c.pos + 1]
  end
  local function take(c, score)
    c.pos = c.pos + 2
    if score == c.last then c.ties = c.ties + 1 else c.last = score; c.ties = 1 end
    c.max = score
    c.offset = c.ties
  end
  while true do
    local chosen, chosenId, chosenScore, chosenNumber = nil, nil, nil, nil
    for _, c in ipairs(cursors) do
      local id, score = head(c)
      if id then
        local n = tonumber(score)
        if not chosen or n > chosenNumber or (n == chosenNumber and id > chosenId) then
          chosen, chosenId, chosenScore, chosenNumber = c, id, score, n
        end
      end
    end
    if not chosen then return end
    take(chosen, chosenScore)
    if not (skipScore and chosenNumber == skipScore and chosenId >= afterId) then
      if visit(chosenId, chosenNumber) then return end
    end
  end
end
`;

/** The ARGV of {@link HISTORY_WALK} for a normalized query. */
export function historyArgs(query: NormalizedTaskQuery, withCursor: boolean): string[] {
  const nullable = (value: string | number | null) => (value === null ? '' : `=${value}`);
  const after = withCursor ? query.after : null;
  const statuses = query.statuses ? [...new Set(query.statuses)] : [];
  const names = query.names ? [...new Set(query.names)] : [];
  return [
    String(query.limit),
    nullable(query.since),
    nullable(query.until),
    nullable(after ? after.createdAt : null),
    after ? after.id : '',
    nullable(query.idempotencyKey),
    nullable(query.errorContains),
    String(statuses.length),
    ...statuses,
    String(names.length),
    ...names,
  ];
}
