"""The Lua scripts behind :class:`RedisStore`: each operation runs atomically in Redis.

Times arrive as strings computed in Python (``repr`` of a float) and are stored as given;
Lua only compares them (``tonumber``). ``P`` below is the store's key prefix (ARGV[1] of
the scripts that reach entries by id; single-node Redis only, not Redis Cluster).
Layout (version 2): data ``P:idem:<key>``, ``P:inbox:<digest>``, ``P:pay:<reference>``;
indexes ``P:index:inbox:ready`` (zset: when each unfinished entry can next be leased),
``P:index:inbox:all`` (zset by received time), ``P:index:inbox:done`` (zset: when each
finished entry was finished, for the retention), ``P:index:pay:due`` (zset: when each
pending payment can next be polled), ``P:index:pay:all`` (zset by creation time); and
``P:schema`` (the layout version). The indexes sit under ``index:`` so that no key,
digest or payment reference (``all``, ``due``) can name one.
"""

from __future__ import annotations

# KEYS: schema. ARGV: prefix, version. Writes the version on a new prefix; on a version-1
# prefix moves the four index zsets (P:pay:due -> P:index:pay:due, ...) once and indexes the
# done inbox entries by finish time (one pass over the inbox, once). A key of the old name
# that is not a zset is a payment referenced "due" or "all": it stays. Returns the version
# found before (false: none).
MIGRATE_1_TO_2 = """
local found = redis.call('GET', KEYS[1])
if not found then
  redis.call('SET', KEYS[1], ARGV[2])
elseif found == '1' then
  for _, name in ipairs({'pay:due', 'pay:all', 'inbox:ready', 'inbox:all'}) do
    local old = ARGV[1] .. name
    local new = ARGV[1] .. 'index:' .. name
    if redis.call('TYPE', old)['ok'] == 'zset' then
      if redis.call('EXISTS', new) == 0 then
        redis.call('RENAME', old, new)
      else
        redis.call('ZUNIONSTORE', new, 2, new, old, 'AGGREGATE', 'MAX')
        redis.call('DEL', old)
      end
    end
  end
  local done = ARGV[1] .. 'index:inbox:done'
  for _, id in ipairs(redis.call('ZRANGE', ARGV[1] .. 'index:inbox:all', 0, -1)) do
    local e = redis.call('HMGET', ARGV[1] .. 'inbox:' .. id, 'state', 'updated_at')
    if e[1] == 'done' then redis.call('ZADD', done, e[2], id) end
  end
  redis.call('SET', KEYS[1], ARGV[2])
end
return found
"""

# KEYS: record. ARGV: owner, lease_until, now.
CLAIM = """
local s = redis.call('HMGET', KEYS[1], 'state', 'lease_until', 'attempts')
if s[1] == 'done' then return {'done', '0'} end
if s[1] == 'processing' and tonumber(s[2]) > tonumber(ARGV[3]) then return {'busy', s[2]} end
local attempts = 1
if s[1] then attempts = tonumber(s[3]) + 1 else redis.call('HSET', KEYS[1], 'note', '') end
redis.call('HSET', KEYS[1], 'state', 'processing', 'owner', ARGV[1], 'lease_until', ARGV[2],
           'attempts', attempts, 'updated_at', ARGV[3])
return {'claimed', ARGV[2]}
"""

# KEYS: record. ARGV: owner, lease_until, now.
RENEW = """
local s = redis.call('HMGET', KEYS[1], 'state', 'owner', 'lease_until')
if s[1] == 'processing' and s[2] == ARGV[1] and tonumber(s[3]) > tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'lease_until', ARGV[2], 'updated_at', ARGV[3])
  return 1
end
return 0
"""

# KEYS: record. ARGV: owner, note, now.
COMPLETE = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner then
  redis.call('HSET', KEYS[1], 'state', 'done', 'lease_until', '0', 'note', ARGV[2],
             'updated_at', ARGV[3])
  if owner == ARGV[1] then return 1 end
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'done', 'owner', ARGV[1], 'lease_until', '0',
           'attempts', 1, 'note', ARGV[2], 'updated_at', ARGV[3])
return 0
"""

# KEYS: record. ARGV: owner, state, note, now.
RELEASE = """
local s = redis.call('HMGET', KEYS[1], 'state', 'owner')
if s[1] == 'processing' and s[2] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', ARGV[2], 'lease_until', '0', 'note', ARGV[3],
             'updated_at', ARGV[4])
  return 1
end
return 0
"""

# KEYS: entry, ready, all. ARGV: digest, body, content_type, received_at, now.
INBOX_PUT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'deliveries', 1)
else
  redis.call('HSET', KEYS[1], 'body', ARGV[2], 'content_type', ARGV[3], 'received_at', ARGV[4],
             'state', 'pending', 'owner', '', 'lease_until', '0', 'attempts', 0,
             'deliveries', 1, 'outcome', '', 'updated_at', ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
end
return redis.call('HGETALL', KEYS[1])
"""

_LEASE_ENTRY = """
local function lease(key, id, ready, owner, lease_until, now)
  local s = redis.call('HMGET', key, 'state', 'lease_until')
  if s[1] == 'pending' or (s[1] == 'processing' and tonumber(s[2]) <= tonumber(now)) then
    redis.call('HSET', key, 'state', 'processing', 'owner', owner, 'lease_until', lease_until,
               'updated_at', now)
    redis.call('HINCRBY', key, 'attempts', 1)
    redis.call('ZADD', ready, lease_until, id)
    return redis.call('HGETALL', key)
  end
  if s[1] ~= 'processing' then redis.call('ZREM', ready, id) end
  return false
end
"""

# KEYS: entry, ready. ARGV: digest, owner, lease_until, now.
INBOX_CLAIM = (
    _LEASE_ENTRY
    + """
return lease(KEYS[1], ARGV[1], KEYS[2], ARGV[2], ARGV[3], ARGV[4])
"""
)

# KEYS: ready. ARGV: prefix, owner, lease_until, now.
INBOX_CLAIM_NEXT = (
    _LEASE_ENTRY
    + """
while true do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[4], 'LIMIT', 0, 20)
  if #ids == 0 then return false end
  for _, id in ipairs(ids) do
    local got = lease(ARGV[1] .. 'inbox:' .. id, id, KEYS[1], ARGV[2], ARGV[3], ARGV[4])
    if got then return got end
  end
end
"""
)

# KEYS: entry, ready. ARGV: digest, owner, lease_until, now.
INBOX_RENEW = """
local s = redis.call('HMGET', KEYS[1], 'state', 'owner', 'lease_until')
if s[1] == 'processing' and s[2] == ARGV[2] and tonumber(s[3]) > tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'lease_until', ARGV[3], 'updated_at', ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return 1
end
return 0
"""

# KEYS: entry, ready, done. ARGV: digest, owner, state, outcome, now.
INBOX_SETTLE = """
local s = redis.call('HMGET', KEYS[1], 'state', 'owner')
if s[1] ~= 'processing' or s[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'lease_until', '0', 'outcome', ARGV[4],
           'updated_at', ARGV[5])
if ARGV[3] == 'done' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
end
return 1
"""

# KEYS: entry, ready, all. ARGV: digest, owner. Deletes the entry its owner holds.
INBOX_DISCARD = """
local s = redis.call('HMGET', KEYS[1], 'state', 'owner')
if s[1] ~= 'processing' or s[2] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""

# KEYS: done, all. ARGV: prefix, cutoff, limit. Deletes done entries finished by the cutoff
# (the done zset is scored by finish time: no scan of the others).
INBOX_PURGE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  local key = ARGV[1] .. 'inbox:' .. id
  if redis.call('HGET', key, 'state') == 'done' then redis.call('DEL', key) end
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #ids
"""

# KEYS: ready, done. ARGV: now. Counts from the indexes alone (O(log n)): an unfinished entry
# scored at or before now can be leased (pending, or a lapsed lease), one scored later is
# under a live lease (processing).
INBOX_COUNTS = """
return {redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1]),
        redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf'),
        redis.call('ZCARD', KEYS[2])}
"""

# KEYS: all. ARGV: prefix, what ('inbox' or 'pay'), field. Counts per value of the field.
COUNT = """
local counts = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local v = redis.call('HGET', ARGV[1] .. ARGV[2] .. ':' .. id, ARGV[3])
  if v then counts[v] = (counts[v] or 0) + 1 end
end
local out = {}
for k, n in pairs(counts) do out[#out + 1] = k; out[#out + 1] = n end
return out
"""

# KEYS: payment, due, all. ARGV: reference, kind, amount, token, has_token, now, next_poll_at.
RECORD_PAYMENT = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'reference', ARGV[1], 'kind', ARGV[2], 'amount', ARGV[3],
             'status', 'pending',
             'created_at', ARGV[6], 'updated_at', ARGV[6], 'next_poll_at', ARGV[7],
             'poll_attempts', 0, 'owner', '', 'lease_until', '0', 'note', '')
  if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'token', ARGV[4]) end
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
end
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: payment. ARGV: field, value, now.
SET_PAYMENT_FIELD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'updated_at', ARGV[3])
return 1
"""

# KEYS: payment, due. ARGV: reference, status, note, now.
SET_PAYMENT_STATUS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'note', ARGV[3], 'updated_at', ARGV[4])
if ARGV[2] == 'pending' then
  local s = redis.call('HMGET', KEYS[1], 'next_poll_at', 'lease_until')
  redis.call('ZADD', KEYS[2], math.max(tonumber(s[1]), tonumber(s[2])), ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
"""

# KEYS: due. ARGV: prefix, owner, lease_until, now, created_before, limit.
CLAIM_DUE = """
local now = tonumber(ARGV[4])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])) do
  if #out >= tonumber(ARGV[6]) then break end
  local key = ARGV[1] .. 'pay:' .. id
  local s = redis.call('HMGET', key, 'status', 'next_poll_at', 'lease_until', 'created_at')
  if s[1] == 'pending' then
    if tonumber(s[2]) <= now and tonumber(s[3]) <= now and tonumber(s[4]) <= tonumber(ARGV[5]) then
      redis.call('HSET', key, 'owner', ARGV[2], 'lease_until', ARGV[3])
      redis.call('ZADD', KEYS[1], ARGV[3], id)
      out[#out + 1] = redis.call('HGETALL', key)
    end
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
"""

# KEYS: payment, due. ARGV: reference, owner, status, next_poll_at, note, now.
FINISH_POLL = """
local s = redis.call('HMGET', KEYS[1], 'owner', 'lease_until')
if not s[1] or s[1] ~= ARGV[2] or tonumber(s[2]) <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'next_poll_at', ARGV[4], 'lease_until', '0',
           'note', ARGV[5], 'updated_at', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'poll_attempts', 1)
if ARGV[3] == 'pending' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
"""
