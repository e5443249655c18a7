package jwks

import (
	"slices"
	"time"
)

// Lister is implemented by a key set that can list the keys it verifies
// with now, HMAC secrets included. complete reports whether those are all
// the keys it will verify with until its owner changes them: always for
// [Static] and [Keyring]; for a [Cache] only when it has no URLs, since a
// fetched JWK Set may change at any time. token.NewVerifier uses it to
// refuse an algorithm allow-list that no key of a complete list can meet.
type Lister interface {
	ListKeys() (keys []Key, complete bool)
}

var (
	_ Lister = (*Static)(nil)
	_ Lister = (*Keyring)(nil)
	_ Lister = (*Cache)(nil)
)

// ListKeys returns a copy of the keys; the list is complete.
func (s *Static) ListKeys() ([]Key, bool) { return s.Keys(), true }

// ListKeys returns the keys that verify now — active, published and
// retiring — HMAC secrets included; the list is complete.
func (kr *Keyring) ListKeys() ([]Key, bool) { return slices.Clone(kr.load().verify), true }

// ListKeys returns the keys usable now, local and fetched. The list is
// complete only for a cache without URLs.
func (c *Cache) ListKeys() ([]Key, bool) { return slices.Clone(c.current().keys), len(c.urls) == 0 }

// RetireAfter returns how long a key replaced by [Keyring.Rotate] keeps
// verifying, defaults applied. token.NewIssuer checks it against the
// longest lifetime it mints.
func (kr *Keyring) RetireAfter() time.Duration { return kr.retireAfter }
