package token

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/scope"
)

// Limits on [VerifierConfig].
const (
	DefaultLeeway  = 10 * time.Second
	MaxLeeway      = 5 * time.Minute
	DefaultMaxSize = 8 << 10
)

// VerifierConfig configures a [Verifier]. Issuer, Audience and Keys are
// required; every other zero value is a safe default.
type VerifierConfig struct {
	// Keys finds the verification key for a token's kid and alg: a
	// *jwks.Cache (remote JWKS), *jwks.Keyring or *jwks.Dir (own keys),
	// *jwks.Static, or a *jwks.Union of them. Required.
	Keys jwks.Lookup
	// Issuer is the only accepted iss. Required.
	Issuer string
	// Audience lists accepted aud values; a token matches if any of its
	// audiences is listed. Required.
	Audience []string
	// Algorithms is the alg allow-list. If empty, jwks.DefaultAlgorithms()
	// is used (EdDSA, ES*, RS*). Unknown names ("none" included) are a
	// construction error, as is a list that no key of a fixed key set is
	// bound to; PS* and HS* are accepted only when listed here.
	Algorithms []jwks.Algorithm
	// Leeway allows for clock skew on exp, nbf and iat. If zero, 10s is used.
	// Negative or above 5m is a construction error.
	Leeway time.Duration
	// MaxSize is the longest token accepted, in bytes, checked before any
	// decoding. If zero, 8 KiB is used.
	MaxSize int
	// MaxLifetime bounds exp - iat per built-in class. Zero fields use the
	// class's MaxLifetime (24h workload, 10m execution, 24h processor); a
	// registered class takes its bound from its [Class]. It must be at least
	// the issuer's TTL; where one process builds both, [CheckLifetimes] checks.
	MaxLifetime Lifetimes
	// AcceptMissingScope treats a token without a scope claim as an execution
	// token, as older Airflow releases mint them. Off by default: scope is
	// required.
	AcceptMissingScope bool
	// InsecureAcceptMissingIssuer accepts a token without an iss claim (or
	// with an empty one), as Airflow mints them unless its [api_auth]
	// jwt_issuer is set. A token that has an iss must still match Issuer.
	// It is weaker: the issuer name no longer tells apart tokens of
	// components that share keys, so only the keys do. Off by default: iss
	// is required.
	InsecureAcceptMissingIssuer bool
	// Classes describes the token classes: which scope values name a class,
	// each class's sub rule and maximum lifetime. The Issuer whose tokens
	// this verifier checks must be given the same classes. If nil, the
	// built-in classes (workload, execution, processor).
	Classes *Classes
	// Now returns the current time. If nil, time.Now is used.
	Now func() time.Time
	// Revocations, when set, is asked about every token that passed every
	// other check, cache hits included, keyed on its jti and on its sub and
	// iat (never on the raw token): a revoked token fails with [ErrRevoked];
	// an answer that cannot be trusted fails with [ErrRevocationUnavailable]
	// (503, fail closed). A *revoke.List implements it. If nil, tokens are
	// not checked for revocation.
	Revocations Revocations
	// Hooks receives an observe.Revocation for every token refused at the
	// revocation check (revoked, or the list could not answer). If nil,
	// nothing is reported.
	Hooks *observe.Hooks
	// CacheSize is the number of live tokens an in-memory cache of verified
	// tokens holds, so that a token presented again skips the signature
	// check. If zero, verified tokens are not cached. A hit requires the
	// identical token (signature included) and an unchanged key set (keys
	// that report a Generation); exp, nbf and iat are checked again on each
	// hit (the other claim rules depend only on the token and this
	// configuration, which cannot change), and so are Revocations. A hit
	// returns the Claims of the first verification, shared, not a copy.
	CacheSize int
}

// Revocations tells whether a verified token is revoked; package revoke's
// List implements it, answering from memory.
type Revocations interface {
	// Check reports whether a token (jti, sub, iat) is revoked. A non-nil error means the
	// answer cannot be trusted (never synced, or staler than MaxStale): callers fail closed.
	Check(jti, sub string, issuedAt time.Time) (revoked bool, err error)
}

// Verifier checks tokens: framing, header, algorithm, key, signature, then
// claims. It is safe for concurrent use.
type Verifier struct {
	keys         jwks.Lookup
	issuer       string
	audience     []string
	algs         map[jwks.Algorithm]bool
	leeway       time.Duration
	maxSize      int
	maxLifetime  Lifetimes
	missingScope bool
	missingIss   bool
	classes      *Classes
	now          func() time.Time
	revocations  Revocations    // nil: no revocation checks
	hooks        *observe.Hooks // nil: nothing reported
	cache        *verifiedCache // nil when CacheSize is zero
	generations  generationer   // keys, if their keys change over time; else nil
	headers      headerMemo     // headers of verified tokens, decoded once
}

// NewVerifier validates cfg and returns a Verifier. It fails on a missing
// issuer, audience or key lookup, on "none" or an unknown algorithm, on a
// leeway outside [0, 5m], and on an allow-list that no key of Keys is bound
// to when Keys can list them all ([jwks.Lister]: a Static, a Keyring, a Cache
// without URLs).
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	switch {
	case cfg.Keys == nil:
		return nil, fmt.Errorf("%w: no key lookup", ErrConfig)
	case cfg.Issuer == "":
		return nil, fmt.Errorf("%w: no issuer", ErrConfig)
	case len(cfg.Audience) == 0 || slices.Contains(cfg.Audience, ""):
		return nil, fmt.Errorf("%w: no audience", ErrConfig)
	case cfg.Leeway < 0 || cfg.Leeway > MaxLeeway:
		return nil, fmt.Errorf("%w: leeway must be within [0, %s]", ErrConfig, MaxLeeway)
	case cfg.MaxSize < 0:
		return nil, fmt.Errorf("%w: negative MaxSize", ErrConfig)
	case cfg.CacheSize < 0:
		return nil, fmt.Errorf("%w: negative CacheSize", ErrConfig)
	case !cfg.MaxLifetime.valid():
		return nil, fmt.Errorf("%w: negative MaxLifetime", ErrConfig)
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = jwks.DefaultAlgorithms()
	}
	v := &Verifier{
		keys: cfg.Keys, issuer: cfg.Issuer, audience: slices.Clone(cfg.Audience),
		algs: make(map[jwks.Algorithm]bool, len(algs)), leeway: cfg.Leeway, maxSize: cfg.MaxSize,
		maxLifetime: cfg.MaxLifetime, missingScope: cfg.AcceptMissingScope, now: cfg.Now,
		revocations: cfg.Revocations, hooks: cfg.Hooks,
		missingIss: cfg.InsecureAcceptMissingIssuer, classes: cfg.Classes,
	}
	if v.classes == nil {
		v.classes = BuiltinClasses()
	}
	for _, a := range algs {
		if !a.Supported() {
			return nil, fmt.Errorf("%w: algorithm %q", ErrConfig, a)
		}
		v.algs[a] = true
	}
	if err := checkAlgorithms(cfg.Keys, v.algs); err != nil {
		return nil, err
	}
	if v.leeway == 0 {
		v.leeway = DefaultLeeway
	}
	if v.maxSize == 0 {
		v.maxSize = DefaultMaxSize
	}
	if v.now == nil {
		v.now = time.Now
	}
	if cfg.CacheSize > 0 {
		v.cache = newVerifiedCache(cfg.CacheSize)
		v.generations, _ = cfg.Keys.(generationer)
	}
	return v, nil
}

// Issuer returns the accepted iss.
func (v *Verifier) Issuer() string { return v.issuer }

// Classes returns the token classes the verifier knows.
func (v *Verifier) Classes() *Classes { return v.classes }

// Verify checks raw and returns its claims. Checks run in this order, so a
// token without a valid signature learns nothing about its claims: size;
// framing and strict base64url of all three segments; header; algorithm
// allow-list; key lookup (kid, alg binding); signature; then claims (iss,
// aud, exp, nbf, iat, lifetime, sub, scope); then revocation, when
// configured.
// On error the claims are never returned; the error matches one of the
// package's sentinels with errors.Is. The returned Claims may be shared with
// other callers (see [VerifierConfig.CacheSize]): do not modify them. They
// may refer to raw's bytes, as any substring does.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	return v.VerifyResult(ctx, raw, nil)
}

func (v *Verifier) verify(ctx context.Context, raw string) (*Claims, error) {
	var buf [2048]byte // a claims set with a few dozen host claims; larger ones go to the heap
	payload, encoded, kid, err := v.verifySignature(ctx, raw, buf[:0])
	if err != nil {
		return nil, err
	}
	c, err := decodeClaims(payload, encoded, &expected{issuer: v.issuer, audience: v.audience})
	if err != nil {
		return nil, err
	}
	if err := v.checkClaims(c, v.now()); err != nil {
		return nil, err
	}
	if err := v.checkRevoked(ctx, c, false); err != nil {
		return nil, err
	}
	c.kid = kid
	return c, nil
}

// verifyCached serves a token verified before under the same key set, after
// checking its times against the clock again; anything else is verified in
// full and, if it passes, remembered. A hit hands out the cached claims
// themselves, shared with every other caller.
func (v *Verifier) verifyCached(ctx context.Context, raw string, res *Result) (*Claims, error) {
	if len(raw) > v.maxSize {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, v.maxSize)
	}
	gen := v.generation()
	h := v.cache.hash(raw)
	if cached, ok := v.cache.get(h, raw, gen); ok {
		if res != nil {
			res.CacheHit = true
		}
		// The claims passed checkClaims when cached and cannot have changed;
		// what depends on the clock is checked again.
		if err := v.checkTimes(cached, v.now()); err != nil {
			v.cache.drop(h, raw)
			return nil, err
		}
		if err := v.checkRevoked(ctx, cached, true); err != nil {
			return nil, err // kept: the entry is still the verified token, and revocation is asked again
		}
		return cached, nil
	}
	c, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if v.generation() == gen { // keys changed meanwhile: do not file under the old generation
		v.cache.put(h, raw, c, gen)
	}
	return c, nil
}

func (v *Verifier) generation() uint64 {
	if v.generations == nil {
		return 0
	}
	return v.generations.Generation()
}

// verifySignature runs every check up to and including the signature and
// appends the decoded payload to buf; encoded is the payload as the token
// has it. The header's size is checked first; then all three segments are
// decoded (strict base64url) before the header's JSON is parsed, but nothing
// in the payload has been looked at yet.
func (v *Verifier) verifySignature(ctx context.Context, raw string, buf []byte) (payload []byte, encoded, kid string, err error) {
	if len(raw) > v.maxSize {
		return nil, "", "", fmt.Errorf("%w: longer than %d bytes", ErrMalformed, v.maxSize)
	}
	f, err := split(raw)
	if err != nil {
		return nil, "", "", err
	}
	if len(f.header) > maxHeaderEncoded {
		return nil, "", "", fmt.Errorf("%w: header over %d bytes", ErrMalformed, maxHeaderSize)
	}
	if payload, err = decodeSegment(buf, f.payload); err != nil {
		return nil, "", "", err
	}
	var sbuf [512]byte // an RSA-4096 signature; longer ones go to the heap
	sig, err := decodeSegment(sbuf[:0], f.signature)
	if err != nil {
		return nil, "", "", err
	}
	h, known := v.headers.get(f.header) // a remembered header passed the allow-list
	if !known {
		if h, err = decodeHeader(f.header); err != nil {
			return nil, "", "", err
		}
		if !v.algs[h.alg] {
			return nil, "", "", ErrAlgorithm
		}
	}
	key, err := v.keys.LookupKey(ctx, h.kid, h.alg)
	if err != nil {
		return nil, "", "", lookupError(err)
	}
	if key.Algorithm() != h.alg {
		return nil, "", "", fmt.Errorf("%w: key bound to another algorithm", ErrAlgorithm)
	}
	if err := key.Verify(f.signingInput, sig); err != nil {
		return nil, "", "", ErrSignature
	}
	if !known {
		v.headers.remember(f.header, h)
	}
	return payload, f.payload, key.ID(), nil
}

func lookupError(err error) error {
	switch {
	case errors.Is(err, jwks.ErrKeysUnavailable):
		return fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	case errors.Is(err, jwks.ErrAlgorithmMismatch):
		return fmt.Errorf("%w: %w", ErrAlgorithm, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	return fmt.Errorf("%w: %w", ErrUnknownKey, err)
}

// checkRevoked asks Revocations about c. A revoked token costs no
// allocation.
func (v *Verifier) checkRevoked(ctx context.Context, c *Claims, cacheHit bool) error {
	if v.revocations == nil {
		return nil
	}
	revoked, err := v.revocations.Check(c.ID, c.Subject, c.IssuedAt)
	switch {
	case revoked:
		v.hooks.Revocation(ctx, observe.Revocation{Outcome: observe.Revoked, CacheHit: cacheHit})
		return ErrRevoked
	case err != nil:
		err = fmt.Errorf("%w: %w", ErrRevocationUnavailable, err)
		v.hooks.Revocation(ctx, observe.Revocation{Outcome: observe.Unavailable, CacheHit: cacheHit, Err: err})
		return err
	}
	return nil
}

// checkTimes applies the rules on exp, iat and nbf at now.
func (v *Verifier) checkTimes(c *Claims, now time.Time) error {
	if c.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: exp", ErrClaims)
	}
	if !now.Before(c.ExpiresAt.Add(v.leeway)) {
		return ErrExpired
	}
	if c.IssuedAt.IsZero() {
		return fmt.Errorf("%w: iat", ErrClaims)
	}
	late := now.Add(v.leeway) // the latest a claim may be: clock skew
	if c.IssuedAt.After(late) {
		return fmt.Errorf("%w: iat in the future", ErrNotYetValid)
	}
	if !c.NotBefore.IsZero() && c.NotBefore.After(late) {
		return fmt.Errorf("%w: nbf", ErrNotYetValid)
	}
	return nil
}

// checkClaims applies the claim rules to a token whose signature verified.
func (v *Verifier) checkClaims(c *Claims, now time.Time) error {
	if err := v.checkTimes(c, now); err != nil {
		return err
	}
	if c.Issuer != v.issuer && (c.Issuer != "" || !v.missingIss) {
		return ErrIssuer
	}
	if !v.audienceMatches(c.Audience) {
		return ErrAudience
	}
	if c.Scope == nil && v.missingScope {
		c.Scope = scope.Set{scope.Execution}
	}
	class, err := v.classes.of(c.Scope)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrScope, err)
	}
	life := c.ExpiresAt.Sub(c.IssuedAt)
	if life <= 0 || life > v.maxLifetime.maxLifetime(class) {
		return ErrLifetime
	}
	if c.Subject == "" || class.TaskSubject && !isTaskID(c.Subject) {
		return ErrSubject
	}
	c.class = class
	return nil
}

func (v *Verifier) audienceMatches(aud []string) bool {
	for _, a := range aud {
		if slices.Contains(v.audience, a) {
			return true
		}
	}
	return false
}
