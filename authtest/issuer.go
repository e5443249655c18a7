package authtest

import (
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// Defaults of [NewIssuer].
const (
	DefaultAlgorithm  = jwks.ES256
	DefaultIssuerName = "authtest"
	DefaultAudience   = "execution-api"
)

// jwksPath is where the issuer's test server publishes its keys.
const jwksPath = "/.well-known/jwks.json"

// Option tweaks [NewIssuer].
type Option func(*config)

type config struct {
	alg      jwks.Algorithm
	clock    *Clock
	name     string
	audience []string
	ttl      token.Lifetimes
	classes  *token.Classes
}

// WithAlgorithm sets the signing algorithm: EdDSA, ES256, ES384, ES512, RS*
// or PS*. HMAC is refused: its secret can never be published in a JWK Set.
// If not given, ES256.
func WithAlgorithm(alg jwks.Algorithm) Option { return func(c *config) { c.alg = alg } }

// WithClock sets the clock that minting, the verifiers and the keyring
// share. If not given (or nil), a Clock stopped at the current time.
func WithClock(clock *Clock) Option { return func(c *config) { c.clock = clock } }

// WithIssuerName sets the iss of minted tokens and the issuer the verifiers
// accept. If not given, DefaultIssuerName.
func WithIssuerName(name string) Option { return func(c *config) { c.name = name } }

// WithAudience sets the aud of minted tokens and the audiences the verifiers
// accept. If not given (or empty), DefaultAudience.
func WithAudience(aud ...string) Option {
	return func(c *config) { c.audience = slices.Clone(aud) }
}

// WithTTL sets the lifetime of minted tokens per class; the verifiers accept
// the longer of it and the default. Zero fields use the defaults.
func WithTTL(ttl token.Lifetimes) Option { return func(c *config) { c.ttl = ttl } }

// WithClasses sets the token classes the issuer mints and its verifiers
// accept: the built-ins plus the host's own, as token.NewClasses returns
// them, so that [Issuer.Mint] mints tokens of a host-defined class and
// [Issuer.Middleware] admits them on the routes that name it. A registered
// class's tokens live its TTL and verify up to its MaxLifetime. If not given
// (or nil), the built-in classes.
func WithClasses(classes *token.Classes) Option { return func(c *config) { c.classes = classes } }

// Issuer is a token issuer for tests: ephemeral keys in a [jwks.Keyring],
// published by an httptest server, and factories that mint tokens of each
// class with per-call [Override]s. Everything it starts is stopped by the
// test's cleanup. It is safe for concurrent use.
type Issuer struct {
	alg      jwks.Algorithm
	clock    *Clock
	name     string
	audience []string
	ttl      token.Lifetimes
	classes  *token.Classes
	ring     *jwks.Keyring
	tokens   *token.Issuer
	url      string
	other    func() (*jwks.SigningKey, error) // a key never published, made on first use

	mu     sync.Mutex
	caches map[*jwks.Cache]bool // caches of live verifiers, refreshed by Rotate
}

// NewIssuer generates a key, starts an httptest server publishing it at
// [Issuer.JWKSURL] and returns an issuer minting with it. The server closes
// when t's cleanup runs. Setup errors fail t.
func NewIssuer(t testing.TB, opts ...Option) *Issuer {
	t.Helper()
	cfg := config{alg: DefaultAlgorithm, name: DefaultIssuerName}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.clock == nil {
		cfg.clock = NewClock(time.Now())
	}
	if len(cfg.audience) == 0 {
		cfg.audience = []string{DefaultAudience}
	}
	if cfg.classes == nil {
		cfg.classes = token.BuiltinClasses()
	}
	if cfg.alg.Symmetric() {
		t.Fatalf("authtest: NewIssuer: %s keys cannot be published in a JWK Set", cfg.alg)
	}
	key, err := jwks.Generate(cfg.alg)
	if err != nil {
		t.Fatalf("authtest: NewIssuer: %v", err)
	}
	ring, err := jwks.NewKeyring(jwks.KeyringConfig{
		Active: key,
		// A retired key must outlive every token it signed, at any leeway.
		RetireAfter: cfg.longest() + token.MaxLeeway,
		Now:         cfg.clock.Now,
	})
	if err != nil {
		t.Fatalf("authtest: NewIssuer: %v", err)
	}
	tokens, err := newTokenIssuer(ring, cfg)
	if err != nil {
		t.Fatalf("authtest: NewIssuer: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+jwksPath, jwks.Handler(ring, 0))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &Issuer{
		alg: cfg.alg, clock: cfg.clock, name: cfg.name, audience: cfg.audience, ttl: cfg.ttl,
		classes: cfg.classes, ring: ring, tokens: tokens, url: srv.URL + jwksPath,
		other:  sync.OnceValues(func() (*jwks.SigningKey, error) { return jwks.Generate(cfg.alg) }),
		caches: make(map[*jwks.Cache]bool),
	}
}

func newTokenIssuer(keys jwks.SigningKeys, cfg config) (*token.Issuer, error) {
	return token.NewIssuer(token.IssuerConfig{
		Keys: keys, Issuer: cfg.name, Audience: cfg.audience, TTL: cfg.ttl, Classes: cfg.classes, Now: cfg.clock.Now,
	})
}

// longest returns the longest lifetime a verifier of cfg accepts: the
// built-ins' TTLs and every class's MaxLifetime.
func (cfg config) longest() time.Duration {
	longest := cfg.ttl.Longest()
	for _, name := range cfg.classes.Names() {
		if c, ok := cfg.classes.Lookup(name); ok {
			longest = max(longest, c.MaxLifetime)
		}
	}
	return longest
}

// Verifier returns a verifier of this issuer's tokens that fetches the keys
// from [Issuer.JWKSURL] through a [jwks.Cache], as a host server would. It
// reads time from the issuer's clock and accepts the issuer's name,
// audience, algorithm, classes and lifetimes; the cache's key freshness runs on real
// time, so advancing the clock by days expires tokens but never the keys.
// Each edit may change the config before the verifier is built (a Leeway, a
// CacheSize); an edit that makes MaxLifetime shorter than the issuer's TTL
// fails t, as [token.CheckLifetimes] does (mint an over-long token with
// [Lifetime] instead). The cache stops when t's cleanup runs; setup errors
// fail t.
func (i *Issuer) Verifier(t testing.TB, edit ...func(*token.VerifierConfig)) *token.Verifier {
	t.Helper()
	cache, err := jwks.NewCache(t.Context(), jwks.CacheConfig{
		URLs:   []string{i.url},
		Logger: slog.New(slog.NewTextHandler(tbWriter{t}, nil)),
	})
	if err != nil {
		t.Fatalf("authtest: Verifier: %v", err)
	}
	i.mu.Lock()
	i.caches[cache] = true
	i.mu.Unlock()
	t.Cleanup(func() {
		i.mu.Lock()
		delete(i.caches, cache)
		i.mu.Unlock()
		cache.Close()
	})
	cfg := token.VerifierConfig{
		Keys: cache, Issuer: i.name, Audience: i.audience, Now: i.clock.Now, Classes: i.classes,
		MaxLifetime: token.Lifetimes{
			Workload:  max(i.ttl.Workload, token.DefaultWorkloadTTL),
			Execution: max(i.ttl.Execution, token.DefaultExecutionTTL),
			Processor: max(i.ttl.Processor, token.DefaultProcessorTTL),
		},
	}
	if !slices.Contains(jwks.DefaultAlgorithms(), i.alg) { // PS*: opt-in only
		cfg.Algorithms = append(jwks.DefaultAlgorithms(), i.alg)
	}
	for _, e := range edit {
		e(&cfg)
	}
	v, err := token.NewVerifier(cfg)
	if err != nil {
		t.Fatalf("authtest: Verifier: %v", err)
	}
	if err := token.CheckLifetimes(i.tokens, v); err != nil {
		t.Fatalf("authtest: Verifier: %v", err) // an edit lowered MaxLifetime: use the Lifetime override instead
	}
	return v
}

// Middleware returns [middleware.Authenticate] with a new [Issuer.Verifier],
// admitting the given token classes, built-in or registered with
// [WithClasses] (if none, the classes accepted by default: execution only
// among the built-ins, as middleware.Config says).
func (i *Issuer) Middleware(t testing.TB, classes ...scope.Scope) func(http.Handler) http.Handler {
	t.Helper()
	return middleware.Authenticate(middleware.Config{Verifier: i.Verifier(t), Classes: classes})
}

// Rotate makes a new key the active one. The previous key stays published
// and keeps verifying the tokens it signed until they expire. Every live
// [Issuer.Verifier] refetches the key set at once, so tokens of the new key
// verify without waiting for a cache refresh.
func (i *Issuer) Rotate(t testing.TB) {
	t.Helper()
	next, err := jwks.Generate(i.alg)
	if err != nil {
		t.Fatalf("authtest: Rotate: %v", err)
	}
	if err := i.ring.Rotate(next); err != nil {
		t.Fatalf("authtest: Rotate: %v", err)
	}
	i.mu.Lock()
	caches := slices.Collect(maps.Keys(i.caches))
	i.mu.Unlock()
	for _, c := range caches {
		if err := c.Refresh(t.Context()); err != nil && i.live(c) {
			t.Fatalf("authtest: Rotate: %v", err)
		}
	}
}

// live reports whether c belongs to a verifier whose test has not ended: a
// cache closed meanwhile fails to refresh, and that is no error.
func (i *Issuer) live(c *jwks.Cache) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.caches[c]
}

// TokenIssuer returns the underlying issuer, for a host's refresh.ReissuerConfig or
// run-exchange code. It signs with the active key and reads the issuer's
// clock.
func (i *Issuer) TokenIssuer() *token.Issuer { return i.tokens }

// JWKSURL returns the URL of the published JWK Set, for a host server that
// fetches keys itself.
func (i *Issuer) JWKSURL() string { return i.url }

// Clock returns the clock the issuer mints with.
func (i *Issuer) Clock() *Clock { return i.clock }

// tbWriter logs what the key cache reports through t.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Logf("authtest: JWK Set cache: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}
