package authtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// Skew is how far [Expired] and [NotYetValid] move a token past the edge of
// its validity: more than the largest leeway a token.Verifier accepts, so
// the rejection holds whatever leeway the host configures.
const Skew = token.MaxLeeway + time.Minute

// Override changes one token minted by [Issuer.Workload],
// [Issuer.Execution], [Issuer.Processor] or [Issuer.Mint]. Overrides apply in order; a later
// one wins over an earlier one that sets the same thing.
type Override func(*draft)

// draft is a token being minted.
type draft struct {
	timing   timing
	lifetime time.Duration // exp - iat; starts as the class TTL
	key      signer
	edits    []func(*token.Claims) error // applied after the times are set
}

type timing int

const (
	valid timing = iota
	expired
	notYetValid
)

type signer int

const (
	published signer = iota // the active key
	unknown                 // a key never published, under its own kid
	forged                  // a key never published, under the active key's kid
)

// Expired mints a token that expired [Skew] ago, with its usual lifetime: a
// verifier rejects it with token.ErrExpired.
func Expired() Override { return func(d *draft) { d.timing = expired } }

// NotYetValid mints a token issued [Skew] from now, as by an issuer whose
// clock runs ahead: a verifier rejects it with token.ErrNotYetValid.
func NotYetValid() Override { return func(d *draft) { d.timing = notYetValid } }

// Lifetime sets exp - iat. Longer than the class's maximum (24h workload
// and processor, 10m execution, unless [WithTTL] raised it; a registered
// class's MaxLifetime), or not positive, a verifier rejects the token with
// token.ErrLifetime.
func Lifetime(life time.Duration) Override { return func(d *draft) { d.lifetime = life } }

// UnknownKey signs with a key that is never published, under its own kid: a
// verifier rejects the token with token.ErrUnknownKey.
func UnknownKey() Override { return func(d *draft) { d.key = unknown } }

// BadSignature signs with a key that is never published, under the kid of
// the active key: the key lookup succeeds and a verifier rejects the token
// with token.ErrSignature.
func BadSignature() Override { return func(d *draft) { d.key = forged } }

// Claims edits the claims after every other override has set them, just
// before signing: a different subject, any time. The minting rules of
// token.Issuer.Mint still hold (one class, a task-id subject for workload
// and execution); claims that break them fail the test.
func Claims(edit func(*token.Claims)) Override {
	return func(d *draft) {
		d.edits = append(d.edits, func(c *token.Claims) error { edit(c); return nil })
	}
}

// Extra adds a host-defined claim, as token.Claims.SetExtra does, in order
// with the [Claims] edits. A registered name or a value that is not JSON
// fails the test.
func Extra(name string, value json.RawMessage) Override {
	return func(d *draft) {
		d.edits = append(d.edits, func(c *token.Claims) error { return c.SetExtra(name, value) })
	}
}

// Audience sets aud. A value the verifier does not accept makes it reject
// the token with token.ErrAudience. Several values make aud an array.
func Audience(aud ...string) Override {
	return Claims(func(c *token.Claims) { c.Audience = aud })
}

// IssuerName sets iss. Another name than the issuer's makes a verifier
// reject the token with token.ErrIssuer.
func IssuerName(iss string) Override {
	return Claims(func(c *token.Claims) { c.Issuer = iss })
}

// AuthTime sets auth_time, the start of an execution-token chain, as the
// run exchange does.
func AuthTime(at time.Time) Override {
	return Claims(func(c *token.Claims) { c.AuthTime = at })
}

// Scopes adds permission scopes after the class, for routes behind
// middleware.RequireScopes.
func Scopes(s ...scope.Scope) Override {
	return Claims(func(c *token.Claims) { c.Scope = append(c.Scope, s...) })
}

// Workload mints a workload token for a task. Setup errors fail t.
func (i *Issuer) Workload(t testing.TB, taskID uuid.UUID, o ...Override) token.Raw {
	t.Helper()
	return i.mint(t, scope.Workload, taskID.String(), o)
}

// Execution mints an execution token for a task, without auth_time unless
// [AuthTime] sets it. Setup errors fail t.
func (i *Issuer) Execution(t testing.TB, taskID uuid.UUID, o ...Override) token.Raw {
	t.Helper()
	return i.mint(t, scope.Execution, taskID.String(), o)
}

// Processor mints a processor token for a principal name such as
// "dag-processor". Setup errors fail t.
func (i *Issuer) Processor(t testing.TB, name string, o ...Override) token.Raw {
	t.Helper()
	return i.mint(t, scope.Processor, name, o)
}

// Mint mints a token of any class of the issuer's, such as one registered
// with [WithClasses], for sub: a task id (uuid.UUID.String) for a class whose
// sub must be one, else a principal name. It lives the class's TTL unless
// [Lifetime] says otherwise. A class the issuer does not know, or a sub the
// class refuses, fails t.
func (i *Issuer) Mint(t testing.TB, class scope.Scope, sub string, o ...Override) token.Raw {
	t.Helper()
	return i.mint(t, class, sub, o)
}

func (i *Issuer) mint(t testing.TB, class scope.Scope, sub string, o []Override) token.Raw {
	t.Helper()
	d := draft{lifetime: i.ttl.For(class)}
	if c, ok := i.classes.Lookup(class); ok && d.lifetime == 0 { // a registered class
		d.lifetime = c.TTL
	}
	for _, f := range o {
		f(&d)
	}
	now := i.clock.Now().Truncate(time.Second)
	iat := now
	switch d.timing {
	case expired:
		iat = now.Add(-Skew - d.lifetime)
	case notYetValid:
		iat = now.Add(Skew)
	}
	c := token.Claims{
		Subject: sub, Scope: scope.Set{class},
		IssuedAt: iat, NotBefore: iat, ExpiresAt: iat.Add(d.lifetime),
	}
	for _, edit := range d.edits {
		if err := edit(&c); err != nil {
			t.Fatalf("authtest: mint %s token: %v", class, err)
		}
	}
	minter := i.tokens
	if d.key != published {
		minter = i.unpublished(t, d.key)
	}
	raw, err := minter.Mint(c)
	if err != nil {
		t.Fatalf("authtest: mint %s token: %v", class, err)
	}
	return raw
}

// unpublished returns an issuer like i's that signs with a key no verifier
// knows: under its own kid (unknown) or the active key's (forged).
func (i *Issuer) unpublished(t testing.TB, s signer) *token.Issuer {
	t.Helper()
	key, err := i.other()
	if err == nil && s == forged {
		key, err = jwks.NewSigningKey(i.ring.Active().ID(), i.alg, key.Private())
	}
	if err != nil {
		t.Fatalf("authtest: unpublished key: %v", err)
	}
	minter, err := newTokenIssuer(key, config{name: i.name, audience: i.audience, ttl: i.ttl, classes: i.classes, clock: i.clock})
	if err != nil {
		t.Fatalf("authtest: unpublished key: %v", err)
	}
	return minter
}
