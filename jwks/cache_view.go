package jwks

import (
	"fmt"
	"slices"
	"time"

	"github.com/execauth/execauth/observe"
)

// source is what the cache holds from one URL.
type source struct {
	keys    []Key
	fetched time.Time // last successful fetch; zero if never
}

// view is an immutable state of the usable keys.
type view struct {
	keySet            // keys in order: local keys, then each URL's
	missing int       // URLs that contribute no keys: never fetched, or past MaxStale
	staleAt time.Time // when the first contributing URL passes MaxStale; zero if none
	gen     uint64
}

// errStale is returned, without allocating, for a key that may be in a URL
// that is not loaded.
var errStale = fmt.Errorf("%w: JWK Set never fetched or older than MaxStale", ErrKeysUnavailable)

// lookup looks kid up in v, as [Static] does. A miss that a URL not loaded
// could explain is [ErrKeysUnavailable], not [ErrUnknownKey].
func (v *view) lookup(kid string, alg Algorithm) (Key, error) {
	k, err := v.keySet.lookup(kid, alg)
	if err == ErrUnknownKey && v.missing > 0 {
		err = errStale
	}
	return k, err
}

// current returns the view in force now, first dropping the keys of URLs
// that have passed MaxStale. It locks only when one has.
func (c *Cache) current() *view {
	v := c.view.Load()
	if v.staleAt.IsZero() {
		return v
	}
	now := c.now()
	if now.Before(v.staleAt) {
		return v
	}
	c.mu.Lock()
	var stale []observe.Stale
	if v = c.view.Load(); !v.staleAt.IsZero() && !now.Before(v.staleAt) {
		stale = c.crossed(v, now)
		c.publish(now)
		v = c.view.Load()
	}
	c.mu.Unlock()
	c.reportStale(stale)
	return v
}

// publish builds the view of the keys usable at now and stores it. It
// returns why keys were left out of the merge. Call with mu held, or before
// c is shared.
func (c *Cache) publish(now time.Time) []error {
	next := &view{}
	keys := slices.Clone(c.local)
	origin := slices.Repeat([]string{"CacheConfig.Keys"}, len(keys)) // where each key came from, for reports
	for i, s := range c.sources {
		if s.fetched.IsZero() || now.Sub(s.fetched) >= c.maxStale {
			next.missing++
			continue
		}
		if until := s.fetched.Add(c.maxStale); next.staleAt.IsZero() || until.Before(next.staleAt) {
			next.staleAt = until
		}
		keys = append(keys, s.keys...)
		origin = append(origin, slices.Repeat([]string{c.names[i]}, len(s.keys))...)
	}
	keys, origin = withoutCopies(keys, origin)
	var dropped []error
	next.byKID = make(map[string]Key, len(keys))
	for i, why := range unambiguous(keys) {
		k := keys[i]
		if why != nil {
			dropped = append(dropped, fmt.Errorf("%w (kid %.64q, from %s)", why, k.id, origin[i]))
			continue
		}
		next.keys = append(next.keys, k)
		if k.id != "" {
			next.byKID[k.id] = k
		}
	}
	prev := c.view.Load()
	switch {
	case prev == nil:
		next.gen = 1
	case sameKeys(prev, next):
		next.gen = prev.gen
	default:
		next.gen = prev.gen + 1
	}
	c.view.Store(next)
	return dropped
}

// withoutCopies drops every key that repeats an earlier one exactly (kid,
// alg and public key): replicas that serve one key set at several URLs, or a
// URL that serves a key also given in CacheConfig.Keys, hold one key, not a
// conflict. A kid that comes with different keys stays ambiguous. origin
// runs parallel to keys and is filtered with it.
func withoutCopies(keys []Key, origin []string) ([]Key, []string) {
	first := make(map[string]int, len(keys))
	outKeys, outOrigin := keys[:0], origin[:0]
	for i, k := range keys {
		if k.id != "" {
			if j, seen := first[k.id]; seen && samePublic(outKeys[j], k) {
				continue
			} else if !seen {
				first[k.id] = len(outKeys)
			}
		}
		outKeys, outOrigin = append(outKeys, k), append(outOrigin, origin[i])
	}
	return outKeys, outOrigin
}

// sameKeys reports whether a and b hold the same keys: kid, alg and material.
func sameKeys(a, b *view) bool {
	if len(a.keys) != len(b.keys) {
		return false
	}
	for i, k := range b.keys {
		other := a.keys[i]
		if k.id != "" {
			var ok bool
			if other, ok = a.byKID[k.id]; !ok {
				return false
			}
		}
		if !samePublic(k, other) {
			return false
		}
	}
	return true
}
