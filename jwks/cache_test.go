package jwks_test

import (
	"context"
	"crypto/elliptic"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// cacheEnv is a Cache over one stub server that serves key, with a test
// clock shared by the cache, the issuer and the verifier.
type cacheEnv struct {
	clock *authtest.Clock
	srv   *testkit.KeyServer
	key   *jwks.SigningKey
	errs  *testkit.Errors
	cache *jwks.Cache
}

// newCacheEnv starts the server and the cache. cfg.URLs defaults to the
// server; Now and Logger are always the env's.
func newCacheEnv(t *testing.T, cfg jwks.CacheConfig) *cacheEnv {
	t.Helper()
	e := &cacheEnv{clock: authtest.NewClock(t0), key: testkit.Key(t, jwks.ES256, ""), errs: &testkit.Errors{}}
	e.srv = testkit.NewKeyServer(t, e.key.Public())
	if cfg.URLs == nil {
		cfg.URLs = []string{e.srv.URL}
	}
	cfg.Now, cfg.Logger = e.clock.Now, testkit.ErrorLogger(e.errs.Add)
	c, err := jwks.NewCache(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	e.cache = c
	return e
}

// mint returns a processor token (24h) signed by k at the env's clock.
func (e *cacheEnv) mint(t testing.TB, k *jwks.SigningKey) string {
	t.Helper()
	iss, err := token.NewIssuer(token.IssuerConfig{Keys: k, Issuer: "iss", Audience: []string{"aud"}, Now: e.clock.Now})
	require.NoError(t, err)
	raw, err := iss.Processor("dag-processor")
	require.NoError(t, err)
	return string(raw)
}

// verifier checks tokens against the env's cache.
func (e *cacheEnv) verifier(t testing.TB) *token.Verifier {
	t.Helper()
	v, err := token.NewVerifier(token.VerifierConfig{Keys: e.cache, Issuer: "iss", Audience: []string{"aud"}, Now: e.clock.Now})
	require.NoError(t, err)
	return v
}

func TestCachePeriodicRefreshPicksUpNewKey(t *testing.T) {
	t.Parallel()
	// The clock never moves, so the cooldown forbids fetches on unknown
	// kids: only the refresh loop can bring the new key.
	e := newCacheEnv(t, jwks.CacheConfig{RefreshInterval: 5 * time.Millisecond})
	gen := e.cache.Generation()
	next := testkit.Key(t, jwks.ES256, "")
	e.srv.SetKeys(t, e.key.Public(), next.Public())

	require.Eventually(t, func() bool { return len(e.cache.PublicKeys()) == 2 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []string{e.key.ID(), next.ID()}, kids(e.cache.PublicKeys()))
	assert.NotEqual(t, gen, e.cache.Generation())
	_, err := e.verifier(t).Verify(context.Background(), e.mint(t, next))
	assert.NoError(t, err)
}

func TestCacheRemovedKeyStopsVerifying(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, jwks.CacheConfig{})
	next := testkit.Key(t, jwks.ES256, "")
	e.srv.SetKeys(t, e.key.Public(), next.Public())
	require.NoError(t, e.cache.Refresh(context.Background()))
	v := e.verifier(t)
	old, current := e.mint(t, e.key), e.mint(t, next)
	_, err := v.Verify(context.Background(), old)
	require.NoError(t, err)
	gen := e.cache.Generation()

	e.srv.SetKeys(t, next.Public())
	require.NoError(t, e.cache.Refresh(context.Background()))

	_, err = v.Verify(context.Background(), old)
	require.ErrorIs(t, err, token.ErrUnknownKey)
	_, err = v.Verify(context.Background(), current)
	assert.NoError(t, err)
	assert.NotEqual(t, gen, e.cache.Generation())
}

func TestCacheGenerationStableWhenKeysAreNot(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, jwks.CacheConfig{})
	gen := e.cache.Generation()
	require.NoError(t, e.cache.Refresh(context.Background()))
	assert.Equal(t, gen, e.cache.Generation(), "same keys fetched again")

	// Same kid, other material: a change.
	forged, err := jwks.NewSigningKey(e.key.ID(), jwks.ES256, ecKey(t, elliptic.P256()))
	require.NoError(t, err)
	e.srv.SetKeys(t, forged.Public())
	require.NoError(t, e.cache.Refresh(context.Background()))
	assert.NotEqual(t, gen, e.cache.Generation())
}

func TestCacheLookupRules(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, jwks.CacheConfig{})
	ed := testkit.Key(t, jwks.EdDSA, "")
	es2 := testkit.Key(t, jwks.ES256, "")
	e.srv.SetKeys(t, e.key.Public(), ed.Public(), es2.Public())
	require.NoError(t, e.cache.Refresh(context.Background()))
	e.clock.Advance(time.Minute) // past the cooldown: a miss could fetch
	before := e.srv.Hits.Load()

	tests := []struct {
		name      string
		kid       string
		alg       jwks.Algorithm
		wantKID   string
		wantErr   error
		wantFetch bool
	}{
		{name: "known kid", kid: ed.ID(), alg: jwks.EdDSA, wantKID: ed.ID()},
		{name: "kid bound to another alg", kid: ed.ID(), alg: jwks.ES256, wantErr: jwks.ErrAlgorithmMismatch},
		{name: "HS256 naming an EC key", kid: e.key.ID(), alg: jwks.HS256, wantErr: jwks.ErrAlgorithmMismatch},
		{name: "no kid, one key for alg", alg: jwks.EdDSA, wantKID: ed.ID()},
		{name: "no kid, two keys for alg", alg: jwks.ES256, wantErr: jwks.ErrKidRequired},
		{name: "no kid, no key for alg", alg: jwks.RS256, wantErr: jwks.ErrUnknownKey},
		{name: "invalid kid", kid: "bad\nkid", alg: jwks.ES256, wantErr: jwks.ErrUnknownKey},
		{name: "unknown kid", kid: "unknown", alg: jwks.ES256, wantErr: jwks.ErrUnknownKey, wantFetch: true},
	}
	for _, tc := range tests { // sequential: the fetch count is shared
		t.Run(tc.name, func(t *testing.T) {
			k, err := e.cache.LookupKey(context.Background(), tc.kid, tc.alg)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.wantKID, k.ID())
				assert.Equal(t, tc.alg, k.Algorithm())
			}
			fetched := e.srv.Hits.Load() - before
			before += fetched
			assert.Equal(t, tc.wantFetch, fetched == 1, "fetches: %d", fetched)
		})
	}
}

func TestCacheKnownKidLookupDoesNotAllocate(t *testing.T) {
	e := newCacheEnv(t, jwks.CacheConfig{})
	ctx := context.Background()
	kid := e.key.ID()
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := e.cache.LookupKey(ctx, kid, jwks.ES256); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

func TestCacheLocalKeysOnly(t *testing.T) {
	t.Parallel()
	sk := testkit.Key(t, jwks.ES256, "local")
	secret, err := jwks.NewKey("hmac", jwks.HS256, make([]byte, 32))
	require.NoError(t, err)
	c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{Keys: []jwks.Key{sk.Public(), secret}})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	k, err := c.LookupKey(context.Background(), "local", jwks.ES256)
	require.NoError(t, err)
	assert.Equal(t, "local", k.ID())
	_, err = c.LookupKey(context.Background(), "hmac", jwks.HS256)
	require.NoError(t, err)
	_, err = c.LookupKey(context.Background(), "other", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	assert.Equal(t, []string{"local"}, kids(c.PublicKeys()), "an HMAC secret is never public")
	assert.NoError(t, c.Ready())
	assert.NoError(t, c.Refresh(context.Background()))
}

func TestCacheMergesURLsAndDropsAmbiguousKids(t *testing.T) {
	t.Parallel()
	a, b := testkit.Key(t, jwks.ES256, ""), testkit.Key(t, jwks.EdDSA, "")
	twinA, twinB := testkit.Key(t, jwks.ES256, "twin"), testkit.Key(t, jwks.ES256, "twin")
	local, localTwin := testkit.Key(t, jwks.ES256, "local"), testkit.Key(t, jwks.EdDSA, "local")
	srvA := testkit.NewKeyServer(t, a.Public(), twinA.Public(), localTwin.Public())
	srvB := testkit.NewKeyServer(t, b.Public(), twinB.Public())
	var errs testkit.Errors
	c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{
		URLs: []string{srvA.URL, srvB.URL}, Keys: []jwks.Key{local.Public()}, Logger: testkit.ErrorLogger(errs.Add),
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	assert.ElementsMatch(t, []string{a.ID(), b.ID()}, kids(c.PublicKeys()))
	assert.Equal(t, 4, errs.Count(jwks.ErrInvalidKID), "both twins and both locals reported")
	for _, kid := range []string{"twin", "local"} {
		_, err := c.LookupKey(context.Background(), kid, jwks.ES256)
		require.ErrorIs(t, err, jwks.ErrUnknownKey, kid)
	}
}

func TestCacheKeepsOnlyUsableKeysOfMixedSet(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/ingest/mixed.json")
	require.NoError(t, err)
	e := newCacheEnv(t, jwks.CacheConfig{})
	e.srv.SetBody(data)
	require.NoError(t, e.cache.Refresh(context.Background()))

	want := []string{"ec256", "ec384", "ec521", "rsa2048", "rsa-pss", "ed25519", "x5u-ignored"}
	assert.Equal(t, want, kids(e.cache.PublicKeys()))
	_, skipped, err := jwks.ParseSet(data)
	require.NoError(t, err)
	assert.Equal(t, len(skipped), e.errs.Len(), "each skipped key reported once")
	_, err = e.cache.LookupKey(context.Background(), "oct", jwks.HS256)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
}

// TestCacheKeyfunc checks the golang-jwt seam with the same rules.
func TestCacheKeyfunc(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, jwks.CacheConfig{})
	pub, err := jwks.MarshalSet(e.key.Public())
	require.NoError(t, err)
	claims := jwt.MapClaims{"sub": "x"}
	sign := func(method jwt.SigningMethod, header map[string]any, key any) string {
		tok := jwt.NewWithClaims(method, claims)
		for k, v := range header {
			tok.Header[k] = v
		}
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	tests := []struct {
		name    string
		raw     string
		wantErr error
	}{
		{name: "kid and alg match", raw: sign(jwt.SigningMethodES256, map[string]any{"kid": e.key.ID()}, e.key.Private())},
		{name: "no kid, one key for alg", raw: sign(jwt.SigningMethodES256, nil, e.key.Private())},
		{
			// The classic confusion: the public JWK as an HMAC secret.
			name: "HS256 over the public key", raw: sign(jwt.SigningMethodHS256, map[string]any{"kid": e.key.ID()}, pub),
			wantErr: jwks.ErrAlgorithmMismatch,
		},
		{name: "kid not a string", raw: sign(jwt.SigningMethodES256, map[string]any{"kid": 7}, e.key.Private()), wantErr: jwks.ErrInvalidKID},
		{name: "unknown kid", raw: sign(jwt.SigningMethodES256, map[string]any{"kid": "nope"}, e.key.Private()), wantErr: jwks.ErrUnknownKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := jwt.Parse(tc.raw, e.cache.Keyfunc(context.Background()))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, tok.Valid)
		})
	}
}

func TestCacheCloseStopsRefresh(t *testing.T) {
	t.Parallel()
	sk := testkit.Key(t, jwks.ES256, "")
	srv := testkit.NewKeyServer(t, sk.Public())
	// Requests are counted as the client sends them: a request sent before
	// Close may reach the server after it.
	rt := &countingTransport{}
	// A cooldown of 1ns: only a closed cache keeps a miss from fetching.
	c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{
		URLs: []string{srv.URL}, RefreshInterval: time.Millisecond, Cooldown: time.Nanosecond,
		Client: &http.Client{Transport: rt}, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return rt.n.Load() >= 3 }, 5*time.Second, time.Millisecond)

	c.Close() // waits for the loop and any fetch to end
	sent := rt.n.Load()
	time.Sleep(30 * time.Millisecond) // thirty refresh intervals
	assert.Equal(t, sent, rt.n.Load(), "no request after Close")

	require.ErrorIs(t, c.Refresh(context.Background()), jwks.ErrKeysUnavailable)
	_, err = c.LookupKey(context.Background(), "unknown", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	assert.Equal(t, sent, rt.n.Load(), "a miss does not fetch after Close")
	_, err = c.LookupKey(context.Background(), sk.ID(), jwks.ES256)
	assert.NoError(t, err, "held keys keep verifying")
}

// The ctx of NewCache bounds the first fetch only: canceling it later does
// not stop the refresh (Close does), and a ctx that is already done fails
// the first fetch.
func TestCacheContextBoundsFirstFetchOnly(t *testing.T) {
	t.Parallel()
	sk := testkit.Key(t, jwks.ES256, "")
	srv := testkit.NewKeyServer(t, sk.Public())
	rt := &countingTransport{}
	cfg := jwks.CacheConfig{
		URLs: []string{srv.URL}, RefreshInterval: time.Millisecond,
		Client: &http.Client{Transport: rt}, Logger: slog.New(slog.DiscardHandler),
	}

	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	_, err := jwks.NewCache(done, cfg)
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable, "a done ctx fails the first fetch")

	ctx, cancel := context.WithCancel(context.Background())
	c, err := jwks.NewCache(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cancel()
	after := rt.n.Load()
	require.Eventually(t, func() bool { return rt.n.Load() >= after+3 }, 5*time.Second, time.Millisecond,
		"the refresh goes on after the constructor's ctx is canceled")
}

// countingTransport counts the requests a client sends.
type countingTransport struct{ n atomic.Int64 }

func (rt *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestNewRejectsConfig(t *testing.T) {
	t.Parallel()
	k := testkit.Key(t, jwks.ES256, "k").Public()
	noKID := testkit.Key(t, jwks.ES256, "").Public()
	noKID, err := jwks.NewKey("", noKID.Algorithm(), noKID.Material())
	require.NoError(t, err)
	urls := []string{"https://issuer.example/jwks"}

	tests := []struct {
		name    string
		cfg     jwks.CacheConfig
		wantErr error // nil: any error
	}{
		{name: "no URLs or keys", cfg: jwks.CacheConfig{}},
		{name: "not http", cfg: jwks.CacheConfig{URLs: []string{"file:///etc/jwks.json"}}},
		{name: "no host", cfg: jwks.CacheConfig{URLs: []string{"https:///jwks"}}},
		{name: "negative timeout", cfg: jwks.CacheConfig{URLs: urls, Timeout: -time.Second}},
		{name: "negative body size", cfg: jwks.CacheConfig{URLs: urls, MaxBodySize: -1}},
		{name: "MaxStale not above interval", cfg: jwks.CacheConfig{URLs: urls, RefreshInterval: time.Hour, MaxStale: time.Hour}},
		{name: "zero Key", cfg: jwks.CacheConfig{Keys: []jwks.Key{{}}}, wantErr: jwks.ErrUnsupportedKey},
		{name: "duplicate local kid", cfg: jwks.CacheConfig{Keys: []jwks.Key{k, k}}, wantErr: jwks.ErrInvalidKID},
		{name: "local key without kid next to URLs", cfg: jwks.CacheConfig{URLs: urls, Keys: []jwks.Key{noKID}}, wantErr: jwks.ErrInvalidKID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := jwks.NewCache(context.Background(), tc.cfg)
			require.Error(t, err)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			}
			assert.Nil(t, c)
		})
	}
}
