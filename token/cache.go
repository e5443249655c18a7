package token

import (
	"hash/maphash"
	"sync"
)

// cacheShards spreads entries over independently locked shards, so that hits
// on different tokens do not contend on one lock.
const cacheShards = 16

// generationer is implemented by key sets whose keys change over time
// (jwks.Cache, jwks.Keyring): Generation changes whenever a key is added,
// removed or becomes unusable, and every cached entry of an older generation
// is then ignored.
type generationer interface {
	Generation() uint64
}

// verifiedCache remembers tokens that passed every check, so a repeated token
// skips the signature. An entry is found by a keyed hash (maphash with a
// random seed, so an attacker cannot aim tokens at one shard) and used only if
// the whole token, signature included, equals the one verified: a different
// signature over the same claims (ECDSA is malleable) is never a hit. Claims
// and time are re-checked on every hit by the caller.
type verifiedCache struct {
	seed   maphash.Seed
	limit  int // entries per shard
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu      sync.RWMutex
	entries map[uint64]*cacheEntry
}

type cacheEntry struct {
	raw        string
	claims     *Claims // never handed out: hits return a clone
	generation uint64
}

func newVerifiedCache(size int) *verifiedCache {
	c := &verifiedCache{seed: maphash.MakeSeed(), limit: max(1, size/cacheShards)}
	for i := range c.shards {
		c.shards[i].entries = make(map[uint64]*cacheEntry)
	}
	return c
}

func (c *verifiedCache) shard(h uint64) *cacheShard { return &c.shards[h%cacheShards] }

// hash is the keyed hash of the whole token.
func (c *verifiedCache) hash(raw string) uint64 { return maphash.String(c.seed, raw) }

// get returns the cached claims of raw if it was verified under generation.
func (c *verifiedCache) get(raw string, generation uint64) (*Claims, bool) {
	h := c.hash(raw)
	s := c.shard(h)
	s.mu.RLock()
	e := s.entries[h]
	s.mu.RUnlock()
	if e == nil || e.raw != raw || e.generation != generation {
		return nil, false
	}
	return e.claims, true
}

// put remembers verified claims. A full shard drops an arbitrary entry: the
// cache is a bounded accelerator, not a store.
func (c *verifiedCache) put(raw string, claims *Claims, generation uint64) {
	h := c.hash(raw)
	s := c.shard(h)
	e := &cacheEntry{raw: raw, claims: claims.Clone(), generation: generation}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[h]; !ok && len(s.entries) >= c.limit {
		for k := range s.entries {
			delete(s.entries, k)
			break
		}
	}
	s.entries[h] = e
}

// drop forgets raw (an entry found expired or of an old generation).
func (c *verifiedCache) drop(raw string) {
	h := c.hash(raw)
	s := c.shard(h)
	s.mu.Lock()
	if e := s.entries[h]; e != nil && e.raw == raw {
		delete(s.entries, h)
	}
	s.mu.Unlock()
}

// len counts entries, for tests.
func (c *verifiedCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}
