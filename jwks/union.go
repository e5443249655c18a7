package jwks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
)

// Union is the keys of several sources seen as one, for a verifier that
// trusts its own keys (a [Keyring] or [Dir]) plus those of other components
// (a [Cache] of their JWK Sets). It applies the kid rules of [Lookup] across
// the sources:
//
//   - A kid found in several sources with the same key (kid, alg and public
//     key) is that key. Found with different keys, it is a conflict: the
//     lookup fails (fail closed) with an error matching [ErrUnknownKey] and
//     [ErrInvalidKID], whichever source the token came from.
//   - A token without kid needs exactly one key bound to its alg across all
//     sources; two different ones fail with [ErrKidRequired].
//   - A kid that no source holds fails with [ErrKeysUnavailable] if a source
//     that could hold it cannot be read now, else with [ErrUnknownKey].
//
// The sources of this package (Static, Keyring, Dir, Cache) are first asked
// what they hold now, which never waits: a token of the issuer's own key
// never makes a Cache fetch, or wait for a fetch, to rule out a conflict.
// Only a kid none of them holds is looked up in each source in turn, so
// that a Cache may fetch it, as it does on its own. A Lookup of another kind
// is asked only then, and the first key it returns is taken after the
// conflict check against the others.
//
// A Union is immutable and safe for concurrent use as far as its sources
// are.
type Union struct {
	sources []Lookup
}

var (
	_ Lookup     = (*Union)(nil)
	_ PublicKeys = (*Union)(nil)
	_ Lister     = (*Union)(nil)
)

// holder is a key set that tells, without I/O and without waiting, which
// key it holds under a kid.
type holder interface {
	held(kid string) (Key, bool)
}

// errConflict is the failure of a kid found with two different keys.
var errConflict = fmt.Errorf("%w: %w", ErrUnknownKey, errDuplicateKID)

// NewUnion returns the union of sources, asked in the order given. It
// panics if there is none or one is nil: a programming error.
func NewUnion(sources ...Lookup) *Union {
	if len(sources) == 0 {
		panic("jwks: NewUnion without sources")
	}
	if slices.Contains(sources, nil) {
		panic("jwks: NewUnion with a nil source")
	}
	return &Union{sources: slices.Clone(sources)}
}

// LookupKey returns the key for kid bound to alg, with the rules of
// [Union]. Errors never contain the kid or alg asked for.
func (u *Union) LookupKey(ctx context.Context, kid string, alg Algorithm) (Key, error) {
	if kid == "" {
		return u.withoutKID(ctx, alg)
	}
	if k, ok, err := u.held(kid); err != nil || ok {
		if err != nil {
			return Key{}, err
		}
		return bound(k, alg)
	}
	var unavailable error
	for _, s := range u.sources {
		k, err := s.LookupKey(ctx, kid, alg)
		switch {
		case err == nil:
			// A Cache may have fetched the kid just now: check it against
			// what the others hold.
			if other, ok, cerr := u.held(kid); cerr != nil || ok && !samePublic(other, k) {
				return Key{}, errConflict
			}
			return k, nil
		case errors.Is(err, ErrAlgorithmMismatch), errors.Is(err, ErrInvalidKID):
			return Key{}, err
		case errors.Is(err, ErrKeysUnavailable):
			unavailable = cmp.Or(unavailable, err)
		}
	}
	return Key{}, cmp.Or(unavailable, ErrUnknownKey)
}

// held returns the one key that the holders among the sources hold under
// kid, or errConflict if they hold different ones.
func (u *Union) held(kid string) (Key, bool, error) {
	var found Key
	ok := false
	for _, s := range u.sources {
		h, is := s.(holder)
		if !is {
			continue
		}
		k, has := h.held(kid)
		switch {
		case !has:
		case ok && !samePublic(found, k):
			return Key{}, false, errConflict
		default:
			found, ok = k, true
		}
	}
	return found, ok, nil
}

// withoutKID finds the only key bound to alg across the sources.
func (u *Union) withoutKID(ctx context.Context, alg Algorithm) (Key, error) {
	var found Key
	n := 0
	var unavailable error
	for _, s := range u.sources {
		k, err := s.LookupKey(ctx, "", alg)
		switch {
		case err == nil:
			if n == 0 || !samePublic(found, k) {
				found, n = k, n+1
			}
		case errors.Is(err, ErrKidRequired):
			return Key{}, err
		case errors.Is(err, ErrKeysUnavailable):
			unavailable = cmp.Or(unavailable, err)
		}
	}
	switch n {
	case 0:
		return Key{}, cmp.Or(unavailable, ErrUnknownKey)
	case 1:
		return found, nil
	}
	return Key{}, ErrKidRequired
}

// PublicKeys returns the public keys of the sources that have some
// ([PublicKeys]), in order, each key once; a kid that two sources hold with
// different keys is left out.
func (u *Union) PublicKeys() []Key {
	var all []Key
	for _, s := range u.sources {
		if p, ok := s.(PublicKeys); ok {
			all = append(all, p.PublicKeys()...)
		}
	}
	all, _ = withoutCopies(all, make([]string, len(all)))
	out := all[:0]
	for i, why := range unambiguous(all) {
		if why == nil {
			out = append(out, all[i])
		}
	}
	return out
}

// ListKeys returns the keys of the sources, each once, for the checks of
// token.NewVerifier. The list is complete only when every source is a
// [Lister] whose list is.
func (u *Union) ListKeys() ([]Key, bool) {
	var all []Key
	complete := true
	for _, s := range u.sources {
		l, ok := s.(Lister)
		if !ok {
			complete = false
			continue
		}
		keys, c := l.ListKeys()
		all, complete = append(all, keys...), complete && c
	}
	all, _ = withoutCopies(all, make([]string, len(all)))
	return all, complete
}

// Generation changes whenever the generation of a source changes: it is
// their sum. Sources without a Generation method count as never changing.
func (u *Union) Generation() uint64 {
	var g uint64
	for _, s := range u.sources {
		if p, ok := s.(interface{ Generation() uint64 }); ok {
			g += p.Generation()
		}
	}
	return g
}

func (kr *Keyring) held(kid string) (Key, bool) { return kr.load().find(kid) }

func (c *Cache) held(kid string) (Key, bool) { return c.current().held(kid) }
