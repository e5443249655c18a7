package token

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
)

// IssuerConfig configures an [Issuer].
type IssuerConfig struct {
	// Keys signs tokens: a *jwks.SigningKey, or a *jwks.Keyring or *jwks.Dir
	// whose active key may change while the Issuer is in use. Required. A
	// keyring's or key directory's RetireAfter must cover the longest TTL
	// plus MaxLeeway, or NewIssuer fails: a rotated-out key would stop
	// verifying tokens it signed.
	Keys jwks.SigningKeys
	// Issuer is the iss claim of every token. Required.
	Issuer string
	// Audience is the aud of minted tokens unless a call names others. Required.
	Audience []string
	// TTL is the lifetime of minted tokens per built-in class. Zero fields
	// use the class's TTL (24h workload, 10m execution, 24h processor); a
	// registered class takes its TTL from its [Class].
	TTL Lifetimes
	// Classes describes the token classes this issuer mints. The Verifier
	// that checks its tokens must be given the same classes. If nil, the
	// built-in classes (workload, execution, processor).
	Classes *Classes
	// Now returns the current time. If nil, time.Now is used.
	Now func() time.Time
	// Rand supplies jti randomness. If nil, crypto/rand.Reader is used.
	Rand io.Reader
}

// Issuer mints tokens. It is safe for concurrent use.
type Issuer struct {
	keys     jwks.SigningKeys
	issuer   string
	audience []string
	ttl      Lifetimes
	classes  *Classes
	now      func() time.Time
	rand     io.Reader
}

// NewIssuer validates cfg and returns an Issuer. It fails with [ErrConfig]
// on a missing key, issuer or audience, a negative TTL, and a keyring whose
// RetireAfter is shorter than the longest TTL plus [MaxLeeway].
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	switch {
	case cfg.Keys == nil || cfg.Keys.Active() == nil:
		return nil, fmt.Errorf("%w: no signing key", ErrConfig)
	case cfg.Issuer == "":
		return nil, fmt.Errorf("%w: no issuer", ErrConfig)
	case len(cfg.Audience) == 0 || slices.Contains(cfg.Audience, ""):
		return nil, fmt.Errorf("%w: no audience", ErrConfig)
	case !cfg.TTL.valid():
		return nil, fmt.Errorf("%w: negative TTL", ErrConfig)
	}
	if err := checkRetire(cfg.Keys, cfg.TTL, cfg.Classes); err != nil {
		return nil, err
	}
	i := &Issuer{
		keys: cfg.Keys, issuer: cfg.Issuer, audience: slices.Clone(cfg.Audience), ttl: cfg.TTL,
		classes: cmp.Or(cfg.Classes, BuiltinClasses()), now: cfg.Now, rand: cmp.Or(cfg.Rand, rand.Reader),
	}
	if i.now == nil {
		i.now = time.Now
	}
	return i, nil
}

// Issuer returns the iss claim of every token it mints.
func (i *Issuer) Issuer() string { return i.issuer }

// Classes returns the token classes the issuer mints.
func (i *Issuer) Classes() *Classes { return i.classes }

// Holds reports whether the issuer holds the private half of kid, that is,
// whether a token with that kid could have been signed here.
func (i *Issuer) Holds(kid string) bool { return kid != "" && i.keys.Holds(kid) }

// Workload mints a workload token for a task.
func (i *Issuer) Workload(taskID uuid.UUID) (Raw, error) {
	return i.Mint(Claims{Subject: taskID.String(), Scope: scope.Set{scope.Workload}})
}

// Execution mints an execution token for a task. Prefer [Issuer.Exchange],
// which starts a chain with auth_time.
func (i *Issuer) Execution(taskID uuid.UUID) (Raw, error) {
	return i.Mint(Claims{Subject: taskID.String(), Scope: scope.Set{scope.Execution}})
}

// Processor mints a processor token for a principal name (any non-empty
// string), for audience or, if none is given, the configured audience.
func (i *Issuer) Processor(principal string, audience ...string) (Raw, error) {
	return i.Mint(Claims{Subject: principal, Audience: audience, Scope: scope.Set{scope.Processor}})
}

// Exchange mints the token that a run endpoint hands out for a verified
// token whose class names one in [Class.ExchangedFor] (a workload token: an
// execution token): the first token of a chain, same sub and aud, auth_time
// = authTime, the start of the chain (the subject's first run exchange,
// which package refresh records), or now if authTime is zero.
func (i *Issuer) Exchange(from *Claims, authTime time.Time) (Raw, error) {
	class, err := i.classOf(from)
	if err != nil {
		return "", err
	}
	if class.ExchangedFor == "" {
		return "", fmt.Errorf("%w: the token's class starts no chain", ErrNotMinted)
	}
	return i.Mint(Claims{
		Subject: from.Subject, Audience: from.Audience, audArray: from.audArray,
		Scope: scope.Set{class.ExchangedFor}, AuthTime: cmp.Or(authTime, i.now()),
	})
}

// Reissue mints a successor of a verified token of a [Class.Reissued] class
// (execution): sub, aud (and its form), scope, auth_time and extra claims
// are kept; jti, iat and exp are new. A chain without auth_time is anchored
// at the original iat. Policy (when to reissue, chain age) belongs to the
// caller; see package refresh.
func (i *Issuer) Reissue(c *Claims) (Raw, error) {
	class, err := i.classOf(c)
	if err != nil {
		return "", err
	}
	if !class.Reissued {
		return "", fmt.Errorf("%w: the token's class is not reissued", ErrNotMinted)
	}
	next := c.Clone()
	if next.AuthTime.IsZero() {
		next.AuthTime = c.IssuedAt
	}
	next.Issuer, next.ID = "", ""
	next.IssuedAt, next.NotBefore, next.ExpiresAt = time.Time{}, time.Time{}, time.Time{}
	return i.Mint(*next)
}

// Mint signs c with the active key. Subject and a Scope with exactly one
// class of the issuer's [Classes] are required; the subject of a class with
// [Class.TaskSubject] (workload, execution) must be a canonical UUID.
// Empty fields are filled: iss and aud from the config, iat = nbf = now,
// exp = now + the class TTL, a fresh 128-bit jti.
func (i *Issuer) Mint(c Claims) (Raw, error) {
	class, err := i.classes.of(c.Scope)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotMinted, err)
	}
	if c.Subject == "" {
		return "", fmt.Errorf("%w: no subject", ErrNotMinted)
	}
	if class.TaskSubject && !isTaskID(c.Subject) {
		return "", fmt.Errorf("%w: subject is not a task id", ErrNotMinted)
	}
	now := i.now().Truncate(time.Second)
	c.Issuer = cmp.Or(c.Issuer, i.issuer)
	if len(c.Audience) == 0 {
		c.Audience = i.audience
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now
	}
	if c.NotBefore.IsZero() {
		c.NotBefore = c.IssuedAt
	}
	if c.ExpiresAt.IsZero() {
		c.ExpiresAt = c.IssuedAt.Add(i.ttl.ttl(class))
	}
	if c.ID == "" {
		var b [16]byte
		if _, err := io.ReadFull(i.rand, b[:]); err != nil {
			return "", fmt.Errorf("%w: jti: %w", ErrNotMinted, err)
		}
		c.ID = hex.EncodeToString(b[:])
	}
	payload, err := c.MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotMinted, err)
	}
	// A compact JWS with header {"alg", "kid", "typ":"JWT"}.
	key := i.keys.Active()
	kid, err := json.Marshal(key.ID())
	if err != nil {
		return "", err
	}
	header := `{"alg":"` + string(key.Algorithm()) + `","kid":` + string(kid) + `,"typ":"JWT"}`
	return signParts([]byte(header), payload, key)
}

// signParts signs header and payload bytes with key as they are. Tests use it
// to build hostile tokens.
func signParts(header, payload []byte, key *jwks.SigningKey) (Raw, error) {
	b64 := base64.RawURLEncoding
	signing := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sig, err := key.Sign(signing)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotMinted, err)
	}
	return Raw(signing + "." + b64.EncodeToString(sig)), nil
}
