package jwks_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/observe"
)

// hookStep is how far the hooks' clock moves per reading: a fetch is timed
// by two readings.
const hookStep = 5 * time.Millisecond

var hookStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// observedCache starts a Cache on the stub's URLs with every cache hook
// recorded; the cache's own clock is clock.
func observedCache(t *testing.T, clock *authtest.Clock, cfg jwks.CacheConfig) (*jwks.Cache, *testkit.Events[observe.Fetch], *testkit.Events[observe.Stale], *testkit.Events[observe.KeyMiss]) {
	t.Helper()
	fetches, stale, misses := new(testkit.Events[observe.Fetch]), new(testkit.Events[observe.Stale]), new(testkit.Events[observe.KeyMiss])
	cfg.Hooks = &observe.Hooks{
		OnFetch: fetches.Add, OnStale: stale.Add, OnKeyMiss: misses.Add,
		Now: testkit.StepClock(hookStart, hookStep),
	}
	cfg.Now, cfg.Logger = clock.Now, slog.New(slog.DiscardHandler)
	c, err := jwks.NewCache(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, fetches, stale, misses
}

// TestHooksFetch: every fetch reports its URL (without credentials or
// query), timing, status, and the keys it added, removed and skipped.
func TestHooksFetch(t *testing.T) {
	t.Parallel()
	k1, k2, k3 := testkit.Key(t, jwks.ES256, ""), testkit.Key(t, jwks.EdDSA, ""), testkit.Key(t, jwks.ES256, "")
	srv := testkit.NewKeyServer(t, k1.Public(), k2.Public())
	host := strings.TrimPrefix(srv.URL, "http://")
	withSecrets := "http://user:pa55word@" + host + "/keys.json?access_token=s3cret#frag"
	clean := "http://" + host + "/keys.json"
	c, fetches, _, _ := observedCache(t, authtest.NewClock(t0), jwks.CacheConfig{URLs: []string{withSecrets}})
	ctx := context.Background()

	// fetched returns the events since the last call, with Start checked
	// (the n-th fetch starts at the n-th pair of clock readings) and Err
	// taken out.
	seen := 0
	fetched := func() []observe.Fetch {
		t.Helper()
		all := fetches.All()
		out := all[seen:]
		for i := range out {
			assert.Equal(t, hookStart.Add(time.Duration(2*(seen+i))*hookStep), out[i].Start)
			assert.Equal(t, hookStep, out[i].Duration)
			out[i].Start, out[i].Duration = time.Time{}, 0
		}
		seen = len(all)
		return out
	}

	assert.Equal(t, []observe.Fetch{{URL: clean, Status: 200, Keys: 2, Added: 2}}, fetched(), "the first fetch")

	srv.SetKeys(t, k2.Public(), k3.Public())
	require.NoError(t, c.Refresh(ctx))
	assert.Equal(t, []observe.Fetch{{URL: clean, Status: 200, Keys: 2, Added: 1, Removed: 1}}, fetched(), "a rotation")

	require.NoError(t, c.Refresh(ctx))
	assert.Equal(t, []observe.Fetch{{URL: clean, Status: 200, Keys: 2}}, fetched(), "no change")

	mixed, err := os.ReadFile("testdata/ingest/mixed.json")
	require.NoError(t, err)
	srv.SetBody(mixed)
	require.NoError(t, c.Refresh(ctx))
	skipped := []string{
		"unsupported_key", "unsupported_key", "unsupported_key", // oct, use enc, key_ops sign
		"weak_key",                                     // RSA 1024
		"key_mismatch", "key_mismatch", "key_mismatch", // alg does not fit the key
		"unsupported_algorithm",                                 // alg none
		"unsupported_key", "unsupported_key", "unsupported_key", // kty, two curves
		"unsupported_key", "unsupported_key", "unsupported_key", "unsupported_key", // off curve, padded, short, leading zero
		"unsupported_key", "unsupported_key", "unsupported_key", // trailing bits, newline, private member
		"unsupported_key", "unsupported_key", "unsupported_key", "unsupported_key", // short Ed25519, no y, x a number, duplicate member
		"invalid_kid",                    // a control character
		"duplicate_kid", "duplicate_kid", // twins
		"missing_kid", // no kid, in a set of several keys
	}
	assert.Equal(t, []observe.Fetch{{URL: clean, Status: 200, Keys: 7, Added: 7, Removed: 2, Skipped: skipped}}, fetched(), "a set with bad keys")

	srv.SetHandler(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	require.Error(t, c.Refresh(ctx))
	got := fetched()
	require.Len(t, got, 1)
	require.ErrorIs(t, got[0].Err, jwks.ErrKeysUnavailable)
	got[0].Err = nil
	assert.Equal(t, observe.Fetch{URL: clean, Status: http.StatusBadGateway}, got[0], "a failed fetch keeps the keys, reports none")

	srv.Close()
	require.Error(t, c.Refresh(ctx))
	got = fetched()
	require.Len(t, got, 1)
	require.Error(t, got[0].Err)
	assert.Zero(t, got[0].Status, "no response")

	for _, e := range fetches.All() {
		u, err := url.Parse(e.URL)
		require.NoError(t, err)
		assert.Nil(t, u.User)
		assert.Empty(t, u.RawQuery)
		if e.Err != nil {
			assert.NotContains(t, e.Err.Error(), "pa55word")
			assert.NotContains(t, e.Err.Error(), "s3cret")
		}
	}
}

// TestHooksStale: a URL whose keys pass MaxStale is reported once, whether
// a lookup or another URL's fetch notices it first.
func TestHooksStale(t *testing.T) {
	t.Parallel()
	const interval, maxStale = time.Minute, 2 * time.Minute
	down := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }

	t.Run("noticed by a lookup", func(t *testing.T) {
		t.Parallel()
		clock := authtest.NewClock(t0)
		key := testkit.Key(t, jwks.ES256, "a")
		srv := testkit.NewKeyServer(t, key.Public())
		c, _, stale, _ := observedCache(t, clock, jwks.CacheConfig{URLs: []string{srv.URL + "/a"}, RefreshInterval: interval, MaxStale: maxStale})
		srv.SetHandler(down)
		clock.Advance(maxStale - time.Second)
		_, err := c.LookupKey(context.Background(), "a", jwks.ES256)
		require.NoError(t, err, "still inside MaxStale")
		assert.Empty(t, stale.All())

		clock.Advance(time.Second + 3*time.Second)
		_, err = c.LookupKey(context.Background(), "a", jwks.ES256)
		require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
		require.Error(t, c.Ready())
		assert.Equal(t, []observe.Stale{{URL: srv.URL + "/a", Age: maxStale + 3*time.Second}}, stale.All())
	})

	t.Run("noticed by another URL's fetch", func(t *testing.T) {
		t.Parallel()
		clock := authtest.NewClock(t0)
		a, b := testkit.NewKeyServer(t, testkit.Key(t, jwks.ES256, "a").Public()), testkit.NewKeyServer(t, testkit.Key(t, jwks.ES256, "b").Public())
		c, _, stale, _ := observedCache(t, clock, jwks.CacheConfig{URLs: []string{a.URL, b.URL}, RefreshInterval: interval, MaxStale: maxStale})
		a.SetHandler(down)
		clock.Advance(maxStale)
		require.Error(t, c.Refresh(context.Background()), "a fails, b succeeds")
		assert.Equal(t, []observe.Stale{{URL: a.URL, Age: maxStale}}, stale.All())

		_, err := c.LookupKey(context.Background(), "b", jwks.ES256)
		require.NoError(t, err)
		clock.Advance(time.Second)
		_, err = c.LookupKey(context.Background(), "b", jwks.ES256)
		require.NoError(t, err)
		assert.Len(t, stale.All(), 1, "reported once")
	})
}

// TestHooksKeyMiss: the unknown-kid limiter reports each decision: a fetch
// started, a fetch joined, a miss refused during the cooldown.
func TestHooksKeyMiss(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	srv := testkit.NewKeyServer(t, testkit.Key(t, jwks.ES256, "known").Public())
	const cooldown = 30 * time.Second
	c, _, _, misses := observedCache(t, clock, jwks.CacheConfig{URLs: []string{srv.URL}, Cooldown: cooldown})
	ctx := context.Background()
	lookup := func() error { _, err := c.LookupKey(ctx, "unknown", jwks.ES256); return err }

	require.ErrorIs(t, lookup(), jwks.ErrUnknownKey)
	assert.Equal(t, []observe.KeyMiss{{Outcome: observe.Limited}}, misses.All(), "the start's fetch set the cooldown")

	// Past the cooldown, a miss starts a fetch, held at the server until a
	// second miss has joined it.
	misses.Reset()
	clock.Advance(cooldown)
	arrived, release := make(chan struct{}), make(chan struct{})
	srv.SetHandler(func(w http.ResponseWriter, _ *http.Request) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"keys":[]}`))
	})
	first := make(chan error, 1)
	go func() { first <- lookup() }()
	<-arrived
	second := make(chan error, 1)
	go func() { second <- lookup() }()
	require.Eventually(t, func() bool { return len(misses.All()) == 2 }, 10*time.Second, time.Millisecond)
	close(release)
	require.ErrorIs(t, <-first, jwks.ErrUnknownKey)
	require.ErrorIs(t, <-second, jwks.ErrUnknownKey)
	assert.ElementsMatch(t, []observe.KeyMiss{{Outcome: observe.Fetched}, {Outcome: observe.Joined}}, misses.All())
	assert.EqualValues(t, 2, srv.Hits.Load(), "the start's fetch and one more")

	misses.Reset()
	require.ErrorIs(t, lookup(), jwks.ErrUnknownKey)
	assert.Equal(t, []observe.KeyMiss{{Outcome: observe.Limited}}, misses.All(), "inside the new cooldown")

	// Lookups that never fetch are not the limiter's decisions.
	misses.Reset()
	_, err := c.LookupKey(ctx, "", jwks.ES256)
	require.Error(t, err)
	_, err = c.LookupKey(ctx, "bad\x01kid", jwks.ES256)
	require.Error(t, err)
	assert.Empty(t, misses.All())
}

// A panicking fetch hook changes nothing: the cache starts and serves.
func TestHooksFetchPanicContained(t *testing.T) {
	t.Parallel()
	key := testkit.Key(t, jwks.ES256, "k")
	srv := testkit.NewKeyServer(t, key.Public())
	hooks := &observe.Hooks{
		OnFetch: func(context.Context, observe.Fetch) { panic("hook") },
		Logger:  slog.New(slog.DiscardHandler),
	}
	c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{URLs: []string{srv.URL}, Hooks: hooks, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	_, err = c.LookupKey(context.Background(), "k", jwks.ES256)
	require.NoError(t, err)
	assert.EqualValues(t, 1, hooks.Panics())
}
