package redisstore

import "github.com/redis/go-redis/v9"

// The scripts run atomically on the server; their keys share one hash tag,
// so a Cluster runs each on one node. Times are Unix seconds.

// revokeScript records one entry and purges up to ARGV[6] expired ones.
// KEYS: seq, epoch, entries, changes, expiry. ARGV: field, cutoff, until,
// now, a new epoch (set if none is), purge limit. Returns the entry's new
// sequence number, or 0 when nothing changed.
var revokeScript = redis.NewScript(`
local field, cutoff, untl, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'NX')
local old = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
for _, f in ipairs(old) do
  redis.call('HDEL', KEYS[3], f)
  redis.call('ZREM', KEYS[4], f)
  redis.call('ZREM', KEYS[5], f)
end
if untl <= now then
  return 0
end
local cur = redis.call('HGET', KEYS[3], field)
if cur then
  local c, u = string.match(cur, '^(%-?%d+) (%-?%d+)$')
  c, u = tonumber(c), tonumber(u)
  if c and u then
    if cutoff <= c and untl <= u then
      return 0
    end
    if c > cutoff then cutoff = c end
    if u > untl then untl = u end
  end
end
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[3], field, string.format('%d %d', cutoff, untl))
redis.call('ZADD', KEYS[4], seq, field)
redis.call('ZADD', KEYS[5], untl, field)
return seq
`)

// sinceScript reads one page of changes. KEYS: epoch, seq, changes,
// entries. ARGV: the cursor's epoch, the sequence number to continue after,
// the field last read at it ("" for none), page size. It starts from 0 when
// the cursor cannot be continued: the epoch differs (the keys were lost and
// written anew), the cursor is ahead of the store, or the field it last read
// is no longer at its sequence number (the store went back to older data and
// reused the number, or the entry was written again or purged since: a full
// load is then merely redundant). Returns epoch, the sequence number it
// continued after, then field, sequence number and value for each entry
// (value "" if the entry was purged).
var sinceScript = redis.NewScript(`
local epoch = redis.call('GET', KEYS[1]) or ''
local top = tonumber(redis.call('GET', KEYS[2]) or '0')
local after = tonumber(ARGV[2])
if epoch ~= ARGV[1] or after == nil or after > top then
  after = 0
elseif ARGV[3] ~= '' and tonumber(redis.call('ZSCORE', KEYS[3], ARGV[3]) or '-1') ~= after then
  after = 0
end
local page = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. string.format('%d', after), '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[4]))
local out = {epoch, after}
local fields = {}
for i = 1, #page, 2 do
  fields[#fields + 1] = page[i]
end
if #fields > 0 then
  local vals = redis.call('HMGET', KEYS[4], unpack(fields))
  for i = 1, #fields do
    out[#out + 1] = fields[i]
    out[#out + 1] = page[2 * i]
    out[#out + 1] = vals[i] or ''
  end
end
return out
`)

// exchangeScript sets the first-exchange record unless one is held.
// KEYS: the subject's key. ARGV: the exchange time, its expiry in Unix
// milliseconds. Returns the recorded time.
var exchangeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  return v
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return ARGV[1]
`)
