package jwks

import (
	"cmp"
	"context"
	"crypto"
	"crypto/hmac"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRetireAfter is [KeyringConfig.RetireAfter] when unset: the longest
// default token lifetime (24h) plus the largest verifier leeway (5m).
const DefaultRetireAfter = 24*time.Hour + 5*time.Minute

// KeyringConfig configures a [Keyring].
type KeyringConfig struct {
	// Active is the key that signs from the start. Required.
	Active *SigningKey
	// RetireAfter is how long a key replaced by [Keyring.Rotate] stays
	// published and keeps verifying: it must cover the longest token
	// lifetime plus the verifiers' leeway, so that every token the key
	// signed expires first. If zero, DefaultRetireAfter (24h5m) is used;
	// issuers with longer lifetimes must set it. Negative is an error.
	RetireAfter time.Duration
	// Now returns the current time. If nil, time.Now is used.
	Now func() time.Time
}

// Keyring holds an issuer's keys: the active key, which signs; keys
// published ahead of rotation, so that verifiers which refresh periodically
// know them before they sign; and retiring keys, which still verify the
// tokens they signed until RetireAfter has passed. It feeds a token issuer
// ([SigningKeys]), a verifier of the issuer's own tokens ([Lookup]) and
// [Handler]. Retiring keys are dropped lazily against the clock; no
// goroutine runs. Create one with [NewKeyring]; the zero value is unusable.
//
// A key's life, and what each step guarantees:
//
//   - [Keyring.Publish]: the key verifies and is served, but does not sign.
//     Wait at least the longest refresh interval of the verifiers that fetch
//     the set (and any HTTP cache in between) before the next step, so that
//     none of them meets its kid unknown.
//   - [Keyring.Rotate]: the key signs from now on; the key it replaces
//     retires.
//   - Retiring: the replaced key keeps verifying for RetireAfter, which must
//     cover the longest lifetime of a token it signed plus the verifiers'
//     largest leeway, so that no token it signed is refused while still
//     valid. Then it is dropped by the clock alone.
//   - [Keyring.Remove]: the key is dropped at once, before RetireAfter if
//     need be (a key that leaked): tokens it signed are refused from then on.
//
// A Keyring lives in one process's memory; replicas that must sign and
// verify with the same keys share a key directory instead ([Dir]), which
// keeps one Keyring per process in step with the directory.
//
// A Keyring is safe for concurrent use. Reads (every signature and
// verification) load an immutable snapshot without locking; Publish,
// Rotate, Remove and dropping keys serialize on a mutex.
type Keyring struct {
	retireAfter time.Duration
	now         func() time.Time

	mu    sync.Mutex // serializes writers of state; readers only Load it
	state atomic.Pointer[snapshot]
}

// snapshot is an immutable state of a Keyring.
type snapshot struct {
	gen      uint64
	active   *SigningKey
	pending  []*SigningKey // published, not signing yet
	retiring []retiree     // replaced, verifying until dropped
	verify   []Key         // all of the above, for LookupKey
	public   []Key         // the asymmetric ones, for PublicKeys
	drop     time.Time     // earliest until among retiring; zero if none
}

type retiree struct {
	key   *SigningKey
	until time.Time
}

var (
	_ SigningKeys = (*Keyring)(nil)
	_ Lookup      = (*Keyring)(nil)
	_ PublicKeys  = (*Keyring)(nil)
)

// NewKeyring returns a keyring whose only key is cfg.Active.
func NewKeyring(cfg KeyringConfig) (*Keyring, error) {
	if cfg.Active == nil || cfg.Active.private == nil {
		return nil, fmt.Errorf("%w: keyring without an active key", ErrConfig)
	}
	if cfg.RetireAfter < 0 {
		return nil, fmt.Errorf("%w: negative RetireAfter", ErrConfig)
	}
	kr := &Keyring{retireAfter: cmp.Or(cfg.RetireAfter, DefaultRetireAfter), now: clock(cfg.Now)}
	kr.store(cfg.Active, nil, nil)
	return kr, nil
}

// clock returns now, or time.Now if now is nil.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// Active returns the key that signs now.
func (kr *Keyring) Active() *SigningKey { return kr.state.Load().active }

// Holds reports whether kid names a key of the keyring that still verifies:
// active, published or retiring.
func (kr *Keyring) Holds(kid string) bool {
	_, ok := kr.load().find(kid)
	return ok
}

// LookupKey returns the key that verifies a token of the keyring's own: the
// active, a published or a retiring key, by the kid rules of [Lookup].
func (kr *Keyring) LookupKey(_ context.Context, kid string, alg Algorithm) (Key, error) {
	return selectKey(kr.load().verify, kid, alg)
}

// PublicKeys returns the keys to publish: active, published and retiring,
// in that order, without HMAC secrets.
func (kr *Keyring) PublicKeys() []Key { return slices.Clone(kr.load().public) }

// Generation changes whenever the keys that verify change: on Publish, on
// Rotate, on Remove, and when a retiring key is dropped. Caches of verified tokens
// flush when it changes.
func (kr *Keyring) Generation() uint64 { return kr.load().gen }

// Publish adds k to the published keys without making it sign, so that
// verifiers learn it before [Keyring.Rotate] activates it. A kid already in
// the keyring fails with [ErrInvalidKID].
func (kr *Keyring) Publish(k *SigningKey) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	s := kr.fresh()
	if err := s.admit(k); err != nil {
		return err
	}
	kr.store(s.active, append(slices.Clone(s.pending), k), s.retiring)
	return nil
}

// Rotate makes next the active key, publishing it if it was not. The
// previous active key retires: it stays published and verifying for
// RetireAfter, then is dropped. A kid already in the keyring, other than
// next's own published entry, fails with [ErrInvalidKID].
func (kr *Keyring) Rotate(next *SigningKey) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	s := kr.fresh()
	pending := slices.Clone(s.pending)
	i := -1
	if next != nil {
		i = slices.IndexFunc(pending, func(p *SigningKey) bool { return p.ID() == next.ID() })
	}
	switch {
	case i < 0:
		if err := s.admit(next); err != nil {
			return err
		}
	case !sameKey(pending[i], next):
		return fmt.Errorf("%w: kid %q is published with another key", ErrInvalidKID, next.ID())
	default:
		pending = slices.Delete(pending, i, i+1)
	}
	retiring := append(slices.Clone(s.retiring), retiree{key: s.active, until: kr.now().Add(kr.retireAfter)})
	kr.store(next, pending, retiring)
	return nil
}

// Remove drops the published or retiring key kid at once, without waiting
// for RetireAfter: it stops verifying and is no longer published, and
// Generation changes, so that caches of verified tokens forget the tokens
// it signed. It is the way out for a key that leaked: its tokens are
// refused from then on, valid or not. The active key cannot be removed
// (rotate to another first): that fails with [ErrActiveKey], and an unknown
// kid with [ErrUnknownKey].
func (kr *Keyring) Remove(kid string) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	s := kr.fresh()
	if s.active.ID() == kid {
		return fmt.Errorf("%w: rotate to another key before removing this one", ErrActiveKey)
	}
	pending := slices.DeleteFunc(slices.Clone(s.pending), func(k *SigningKey) bool { return k.ID() == kid })
	retiring := slices.DeleteFunc(slices.Clone(s.retiring), func(r retiree) bool { return r.key.ID() == kid })
	if len(pending) == len(s.pending) && len(retiring) == len(s.retiring) {
		return ErrUnknownKey
	}
	kr.store(s.active, pending, retiring)
	return nil
}

// replace makes active, pending and retiring the keys of the ring, as a key
// directory lists them. It stores a new snapshot, and so changes
// Generation, only if they differ from the ring's.
func (kr *Keyring) replace(active *SigningKey, pending []*SigningKey, retiring []retiree) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if s := kr.state.Load(); s != nil && s.holds(active, pending, retiring) {
		return
	}
	kr.store(active, pending, retiring)
}

// holds reports whether s has exactly these keys in these roles, with the
// same retire times.
func (s *snapshot) holds(active *SigningKey, pending []*SigningKey, retiring []retiree) bool {
	return sameKey(s.active, active) && slices.EqualFunc(s.pending, pending, sameKey) &&
		slices.EqualFunc(s.retiring, retiring, func(a, b retiree) bool { return sameKey(a.key, b.key) && a.until.Equal(b.until) })
}

// load returns the current snapshot, dropping retiring keys whose time has
// come. It locks only when there is something to drop.
func (kr *Keyring) load() *snapshot {
	s := kr.state.Load()
	if !s.due(kr.now) {
		return s
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return kr.fresh()
}

// fresh returns the current snapshot with retiring keys past their time
// dropped, storing a new snapshot if any was. Call with mu held.
func (kr *Keyring) fresh() *snapshot {
	s := kr.state.Load()
	if !s.due(kr.now) {
		return s
	}
	now := kr.now()
	kept := slices.DeleteFunc(slices.Clone(s.retiring), func(r retiree) bool { return !now.Before(r.until) })
	return kr.store(s.active, s.pending, kept)
}

// store builds the next snapshot and makes it current. Call with mu held
// (or before kr is shared).
func (kr *Keyring) store(active *SigningKey, pending []*SigningKey, retiring []retiree) *snapshot {
	s := &snapshot{active: active, pending: pending, retiring: retiring}
	if prev := kr.state.Load(); prev != nil {
		s.gen = prev.gen + 1
	}
	s.verify = append(s.verify, active.Public())
	for _, p := range pending {
		s.verify = append(s.verify, p.Public())
	}
	for _, r := range retiring {
		s.verify = append(s.verify, r.key.Public())
		if s.drop.IsZero() || r.until.Before(s.drop) {
			s.drop = r.until
		}
	}
	s.public = publicKeys(s.verify)
	kr.state.Store(s)
	return s
}

// due reports whether a retiring key's time has come. It reads the clock
// only when a key retires.
func (s *snapshot) due(now func() time.Time) bool {
	return !s.drop.IsZero() && !now().Before(s.drop)
}

// find returns the key of id kid.
func (s *snapshot) find(kid string) (Key, bool) {
	for _, k := range s.verify {
		if k.id == kid {
			return k, true
		}
	}
	return Key{}, false
}

// admit checks that k may join the keyring.
func (s *snapshot) admit(k *SigningKey) error {
	if k == nil || k.private == nil {
		return fmt.Errorf("%w: no key", ErrUnsupportedKey)
	}
	if _, dup := s.find(k.ID()); dup {
		return fmt.Errorf("%w: duplicate kid %q", ErrInvalidKID, k.ID())
	}
	return nil
}

// sameKey reports whether a and b are the same key: same kid, alg and
// public material.
func sameKey(a, b *SigningKey) bool { return samePublic(a.public, b.public) }

// samePublic reports whether a and b are the same verification key: same
// kid, alg and material.
func samePublic(a, b Key) bool {
	if a.id != b.id || a.alg != b.alg {
		return false
	}
	switch m := a.material.(type) {
	case []byte:
		other, ok := b.material.([]byte)
		return ok && hmac.Equal(m, other)
	case interface{ Equal(crypto.PublicKey) bool }:
		return m.Equal(b.material)
	}
	return false
}
