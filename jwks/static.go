package jwks

import (
	"context"
	"fmt"
	"slices"
)

// Static is a fixed set of verification keys, for keys a host holds itself.
// A key is found by kid in constant time, however many keys the set holds
// (BenchmarkStaticLookupKey/keys=1000 in this package's tests). It is
// immutable and safe for concurrent use.
type Static struct{ keySet }

// keySet is keys found by kid: a Static's, and the usable keys of a Cache.
type keySet struct {
	keys  []Key
	byKID map[string]Key
}

var _ Lookup = (*Static)(nil)

// NewStatic returns a key set of keys. Two keys with the same kid, or a key
// without a kid among several, are an error.
func NewStatic(keys ...Key) (*Static, error) {
	byKID := make(map[string]Key, len(keys))
	for _, k := range keys {
		if k.alg == "" {
			return nil, fmt.Errorf("%w: zero Key", ErrUnsupportedKey)
		}
		if k.id == "" && len(keys) > 1 {
			return nil, fmt.Errorf("%w: a key without kid among %d keys", ErrInvalidKID, len(keys))
		}
		if _, dup := byKID[k.id]; dup {
			return nil, fmt.Errorf("%w: duplicate kid %q", ErrInvalidKID, k.id)
		}
		byKID[k.id] = k
	}
	return &Static{keySet{keys: append([]Key(nil), keys...), byKID: byKID}}, nil
}

// LookupKey returns the key for kid bound to alg; see [Lookup].
func (s *Static) LookupKey(_ context.Context, kid string, alg Algorithm) (Key, error) {
	return s.lookup(kid, alg)
}

// lookup applies the kid rules of [Lookup] to the keys of s.
func (s *keySet) lookup(kid string, alg Algorithm) (Key, error) {
	if kid == "" {
		return selectKey(s.keys, "", alg)
	}
	return bound(s.byKID[kid], alg)
}

func (s *keySet) held(kid string) (Key, bool) {
	k, ok := s.byKID[kid]
	return k, ok
}

// Keys returns a copy of the keys.
func (s *Static) Keys() []Key { return append([]Key(nil), s.keys...) }

// PublicKeys returns the asymmetric keys: an HMAC secret is never published.
func (s *Static) PublicKeys() []Key { return publicKeys(s.keys) }

// Generation is always 0: the set never changes.
func (s *Static) Generation() uint64 { return 0 }

// Format prints only kids and algs: fmt cannot reach the keys' own Format
// through an unexported field and would print HMAC secrets. The value
// receiver covers copies too.
func (s Static) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "Static%v", s.keys)
}

// publicKeys returns the keys that may be published, in order.
func publicKeys(keys []Key) []Key {
	return slices.DeleteFunc(append([]Key{}, keys...), Key.IsSymmetric)
}
