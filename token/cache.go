package token

import (
	"hash/maphash"
	"math"
	"math/rand/v2"
	"sync"
)

// maxCacheShards spreads the entries of a large cache over independently
// locked shards, so that hits on different tokens do not contend on one lock.
const maxCacheShards = 16

// generationer is implemented by key sets whose keys change over time
// (jwks.Cache, jwks.Keyring): Generation changes whenever a key is added,
// removed or becomes unusable, and every cached entry of an older generation
// is then ignored.
type generationer interface {
	Generation() uint64
}

// verifiedCache remembers tokens that passed every check, so a repeated token
// skips the signature. An entry is found by a keyed hash of the token's
// signature (maphash with a random seed, so an attacker cannot aim tokens at
// one shard) and used only if the whole token equals the one verified: a
// different signature over the same claims (ECDSA is malleable) is never a
// hit, nor is the same signature over other claims. The
// cached claims are handed to every caller as they are (Claims returned by
// Verify are read-only); times are re-checked on every hit by the caller.
type verifiedCache struct {
	seed   maphash.Seed
	limit  int // entries per shard
	shards []cacheShard
}

type cacheShard struct {
	mu      sync.RWMutex
	entries map[uint64]*cacheEntry
}

type cacheEntry struct {
	raw        string
	claims     *Claims
	generation uint64
}

// newVerifiedCache returns a cache that holds size live tokens. Hashes do
// not spread tokens evenly: the tokens of one shard are binomially
// distributed around its share, with a standard deviation under
// sqrt(share), so each shard may hold five deviations more than its share.
// The chance that some shard overflows while size tokens are live is then
// under 1e-5, and the cache never holds more than size + 5·shards·sqrt(share)
// entries (1024: at most 1664).
func newVerifiedCache(size int) *verifiedCache {
	n := min(maxCacheShards, max(1, size/64))
	share := (size + n - 1) / n
	c := &verifiedCache{seed: maphash.MakeSeed(), limit: share, shards: make([]cacheShard, n)}
	if n > 1 {
		c.limit += 5 * int(math.Ceil(math.Sqrt(float64(share))))
	}
	for i := range c.shards {
		c.shards[i].entries = make(map[uint64]*cacheEntry)
	}
	return c
}

// hashedTail is how much of a token's end its hash covers: inside the
// signature for every algorithm (an HS256 signature is 43 characters), which
// tells apart any two tokens that verified. A token hashed alike is still
// used only if it equals the cached one whole. Hashing the whole token
// instead costs over 5 % of a cached request (benchmark row
// Middleware/HS256/execauth+cache).
const hashedTail = 32

// hash is the keyed hash of the token's tail.
func (c *verifiedCache) hash(raw string) uint64 {
	return maphash.String(c.seed, raw[max(0, len(raw)-hashedTail):])
}

// shard maps the hash's high half onto the shards by a multiplication, not
// a division.
func (c *verifiedCache) shard(h uint64) *cacheShard {
	return &c.shards[(h>>32)*uint64(len(c.shards))>>32]
}

// get returns the cached claims of raw, whose hash is h, if it was verified
// under generation.
func (c *verifiedCache) get(h uint64, raw string, generation uint64) (*Claims, bool) {
	s := c.shard(h)
	s.mu.RLock()
	e := s.entries[h]
	s.mu.RUnlock()
	if e == nil || e.raw != raw || e.generation != generation {
		return nil, false
	}
	return e.claims, true
}

// admitWhenFull is the share of new tokens a full shard takes in, each
// evicting a random entry. When the live tokens far outnumber the cache,
// almost every lookup misses, and taking in every miss would add a locked
// eviction and insertion to each; taking in one in eight keeps that cost
// under the noise of a verification (benchmark row Thrash/HS256) while a
// token presented repeatedly still gets in.
const admitWhenFull = 8

// put remembers verified claims of raw, whose hash is h.
func (c *verifiedCache) put(h uint64, raw string, claims *Claims, generation uint64) {
	s := c.shard(h)
	s.mu.RLock()
	full := len(s.entries) >= c.limit
	s.mu.RUnlock()
	if full && rand.Uint32()%admitWhenFull != 0 {
		return
	}
	e := &cacheEntry{raw: raw, claims: claims, generation: generation}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[h]; !ok && len(s.entries) >= c.limit {
		for k := range s.entries { // map order is random: a random victim
			delete(s.entries, k)
			break
		}
	}
	s.entries[h] = e
}

// drop forgets raw, whose hash is h (an entry found expired).
func (c *verifiedCache) drop(h uint64, raw string) {
	s := c.shard(h)
	s.mu.Lock()
	if e := s.entries[h]; e != nil && e.raw == raw {
		delete(s.entries, h)
	}
	s.mu.Unlock()
}
