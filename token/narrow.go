package token

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/execauth/execauth/scope"
)

// Grant is what a host hands out in a narrowing exchange ([Issuer.Narrow]):
// a token of another class for part of what the source token may do, bound
// to resources the host names. The host decides what to grant; Narrow
// refuses any grant that is wider or longer-lived than the source.
type Grant struct {
	// Class is the class of the new token. Required: a class of the issuer's
	// [Classes] that neither starts nor extends a chain (no
	// [Class.ExchangedFor], not [Class.Reissued]), so that the new token
	// ends at its exp.
	Class scope.Scope
	// Audience is the aud of the new token; each value must be one of the
	// source token's. If empty, the source's audience.
	Audience []string
	// Scopes are the permission scopes of the new token; each must be one the
	// source token carries. If empty, none.
	Scopes []scope.Scope
	// TTL is the lifetime of the new token. If zero, the class's TTL, cut
	// short at the source token's exp. A TTL that would outlive the source,
	// or exceeds the class's lifetime, is refused.
	TTL time.Duration
	// Claims are the host's resource claims, e.g. "bundle" and "file", as
	// JSON values. The source token's own host claims are kept: a claim the
	// source carries may be repeated with the same value but never changed.
	// Registered claim names are refused. If nil, only the source's.
	Claims map[string]json.RawMessage
}

// Narrow mints the token of a narrowing exchange: for a verified token of a
// [Class.Narrowable] class (processor among the built-ins) that this issuer
// signed, a token of grant's class with the same sub, an audience and
// permission scopes that are subsets of the source's, the source's host
// claims plus grant's, and an exp no later than the source's. Whatever the
// grant asks, the new token is never wider and never longer-lived than the
// source, and it can be exchanged further only if its own class is
// Narrowable.
//
// A grant that breaks a rule fails with an error matching [ErrNarrowing]
// (and [ErrNotMinted]), as does a source that is not Narrowable, not signed
// by this issuer (another iss, a key it does not hold) or at or past its
// exp. The error names the rule, never a claim value.
func (i *Issuer) Narrow(from *Claims, g Grant) (Raw, error) {
	source, err := i.classOf(from)
	if err != nil {
		return "", err
	}
	now := i.now()
	switch {
	case !source.Narrowable:
		return "", narrowingError("the source token's class may not be exchanged further")
	case !i.Signed(from):
		return "", narrowingError("the source token was not signed by this issuer")
	case !now.Before(from.ExpiresAt):
		return "", narrowingError("the source token has expired")
	}
	target := i.classes.get(g.Class)
	switch {
	case target == nil:
		return "", narrowingError("the granted class is not registered")
	case target.Reissued || target.ExchangedFor != "":
		return "", narrowingError("the granted class starts or extends a chain")
	case !subset(g.Audience, from.Audience):
		return "", narrowingError("an audience the source token does not have")
	case !subset(g.Scopes, i.classes.permissions(from.Scope)):
		return "", narrowingError("a permission scope the source token does not have")
	}
	c := Claims{Subject: from.Subject, Audience: from.Audience, audArray: from.audArray}
	if len(g.Audience) > 0 {
		c.Audience, c.audArray = g.Audience, false
	}
	if c.Scope, err = scope.New(append([]scope.Scope{g.Class}, g.Scopes...)...); err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotMinted, err)
	}
	if c.IssuedAt, c.ExpiresAt, err = i.narrowedTimes(now, from.ExpiresAt, target, g.TTL); err != nil {
		return "", err
	}
	if err := narrowExtra(&c, from, g.Claims); err != nil {
		return "", err
	}
	return i.Mint(c)
}

// narrowedTimes returns iat and exp of a narrowed token: the grant's TTL or
// the class's, never past the source's exp nor beyond the class's lifetime.
func (i *Issuer) narrowedTimes(now, sourceExp time.Time, class *Class, ttl time.Duration) (iat, exp time.Time, err error) {
	iat = now.Truncate(time.Second)
	exp = iat.Add(cmp.Or(ttl, i.ttl.ttl(class)))
	switch {
	case ttl < 0 || ttl%time.Second != 0:
		return iat, exp, narrowingError("TTL must be whole seconds and not negative")
	case ttl > i.ttl.maxLifetime(class):
		return iat, exp, narrowingError("a lifetime beyond the granted class's")
	case ttl > 0 && exp.After(sourceExp):
		return iat, exp, narrowingError("a lifetime beyond the source token's exp")
	case exp.After(sourceExp):
		exp = sourceExp // the class's TTL, cut short
	}
	if !exp.After(iat) {
		return iat, exp, narrowingError("the source token has expired")
	}
	return iat, exp, nil
}

// narrowExtra gives c the source's host claims and the granted ones, in
// name order; a granted claim may not change one the source carries.
func narrowExtra(c, source *Claims, granted map[string]json.RawMessage) error {
	c.extra, c.encoded = source.extra, source.encoded
	for _, name := range slices.Sorted(maps.Keys(granted)) {
		if err := c.SetExtra(name, granted[name]); err != nil {
			return err
		}
		if old, ok := source.Extra(name); ok {
			set, _ := c.Extra(name) // compacted by SetExtra
			var was bytes.Buffer
			if json.Compact(&was, old) != nil || !bytes.Equal(was.Bytes(), set) {
				return narrowingError("a granted claim changes one of the source token's")
			}
		}
	}
	return nil
}

func narrowingError(rule string) error {
	return fmt.Errorf("%w: %w: %s", ErrNotMinted, ErrNarrowing, rule)
}

// subset reports whether every value of sub is one of set.
func subset[S ~[]E, E comparable](sub, set S) bool {
	return !slices.ContainsFunc(sub, func(v E) bool { return !slices.Contains(set, v) })
}

// Signed reports whether c came from a token this issuer could have signed:
// its iss is the issuer's (or absent, which only a verifier with
// InsecureAcceptMissingIssuer lets through), and the key that verified it is
// one the issuer holds. Only such tokens are reissued, exchanged or narrowed.
func (i *Issuer) Signed(c *Claims) bool {
	return (c.Issuer == i.issuer || c.Issuer == "") && i.Holds(c.KeyID())
}

// classOf returns the class of c in the issuer's classes. For claims from a
// verifier it must be the class the verifier found, described alike: an
// issuer and a verifier that disagree on a class mint nothing from it.
func (i *Issuer) classOf(c *Claims) (*Class, error) {
	class, err := i.classes.of(c.Scope)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotMinted, err)
	}
	if c.class != nil && *c.class != *class {
		return nil, fmt.Errorf("%w: the verifier and the issuer describe the token's class differently", ErrNotMinted)
	}
	return class, nil
}
