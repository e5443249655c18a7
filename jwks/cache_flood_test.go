package jwks_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// unknownKIDTokens returns n tokens, each naming a random kid. Their
// signatures are junk: a verifier looks the key up before checking one.
func unknownKIDTokens(t testing.TB, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		var kid [16]byte
		_, err := rand.Read(kid[:])
		require.NoError(t, err)
		header := `{"alg":"ES256","kid":"` + hex.EncodeToString(kid[:]) + `","typ":"JWT"}`
		out[i] = base64.RawURLEncoding.EncodeToString([]byte(header)) + ".e30.AAAA"
	}
	return out
}

// flood verifies every token from workers goroutines at once and returns
// each call's latency, sorted, checking that each was refused as an unknown
// key.
func flood(tb testing.TB, v *token.Verifier, tokens []string, workers int) []time.Duration {
	tb.Helper()
	latencies := make([]time.Duration, len(tokens))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			<-start
			for i := w; i < len(tokens); i += workers {
				begin := time.Now()
				_, err := v.Verify(context.Background(), tokens[i])
				latencies[i] = time.Since(begin)
				if !assert.ErrorIs(tb, err, token.ErrUnknownKey) {
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(latencies)
	return latencies
}

// TestCacheUnknownKIDFlood sends 10 000 tokens with random kids from 32
// goroutines: at most one fetch per cooldown, and no call waits for the
// cooldown. With more goroutines than cores, a call's wall time includes the
// time its goroutine sat preempted (10 ms slices times the goroutines queued;
// p99 up to 25 ms and max up to 0.5 s seen under -race on a loaded 2-core
// machine), so the tail says little about the cache. The assertions are
// those a blocking cache would fail: the median call under 1 ms, and none
// near the 30 s cooldown. The design target, p99 under 1 ms, is measured by
// BenchmarkCacheUnknownKIDFlood.
func TestCacheUnknownKIDFlood(t *testing.T) {
	e := newCacheEnv(t, jwks.CacheConfig{Cooldown: 30 * time.Second})
	v := e.verifier(t)
	tokens := unknownKIDTokens(t, 10_000)

	rounds := []struct {
		name      string
		advance   time.Duration
		wantFetch int64
	}{
		{name: "cooldown over", advance: 31 * time.Second, wantFetch: 1},
		{name: "within cooldown", advance: 29 * time.Second, wantFetch: 0},
		{name: "next cooldown over", advance: 2 * time.Second, wantFetch: 1},
	}
	for _, r := range rounds { // sequential: they share the cache and clock
		t.Run(r.name, func(t *testing.T) {
			e.clock.Advance(r.advance)
			before := e.srv.Hits.Load()
			lat := flood(t, v, tokens, 32)
			fetches := e.srv.Hits.Load() - before
			p50, worst := lat[len(lat)/2], lat[len(lat)-1]
			t.Logf("%d verifications: p50 %v, p99 %v, max %v, fetches %d", len(lat), p50, lat[len(lat)*99/100], worst, fetches)
			assert.Equal(t, r.wantFetch, fetches)
			assert.Less(t, p50, time.Millisecond)
			assert.Less(t, worst, 5*time.Second)
		})
	}
}

// BenchmarkCacheUnknownKIDFlood measures the reject latency of a flood of
// unknown kids with one goroutine per core, so that preemption does not
// dominate; the first flood of each iteration also starts one fetch. It
// reports the p99 and max latency (design target: p99 under 1 ms).
func BenchmarkCacheUnknownKIDFlood(b *testing.B) {
	clock := authtest.NewClock(t0)
	sk := testkit.Key(b, jwks.ES256, "")
	srv := testkit.NewKeyServer(b, sk.Public())
	c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{URLs: []string{srv.URL}, Now: clock.Now})
	require.NoError(b, err)
	b.Cleanup(c.Close)
	v, err := token.NewVerifier(token.VerifierConfig{Keys: c, Issuer: "iss", Audience: []string{"aud"}, Now: clock.Now})
	require.NoError(b, err)
	tokens := unknownKIDTokens(b, 10_000)
	var p99, worst time.Duration
	for b.Loop() {
		clock.Advance(time.Minute)
		lat := flood(b, v, tokens, runtime.GOMAXPROCS(0))
		p99, worst = max(p99, lat[len(lat)*99/100]), max(worst, lat[len(lat)-1])
	}
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(worst.Nanoseconds()), "max-ns")
}

// TestCacheConcurrentMissesShareOneFetch holds the JWK Set response until
// every waiter is parked on it: they all get the new key from one request,
// and a waiter that gives up returns at once without failing the others.
func TestCacheConcurrentMissesShareOneFetch(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, jwks.CacheConfig{})
	next := testkit.Key(t, jwks.EdDSA, "")
	body, err := jwks.MarshalSet(e.key.Public(), next.Public())
	require.NoError(t, err)
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.srv.SetHandler(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write(body)
	})
	e.clock.Advance(time.Minute) // past the cooldown of the first fetch
	before := e.srv.Hits.Load()

	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := e.cache.LookupKey(ctx, next.ID(), jwks.EdDSA)
		gaveUp <- err
	}()
	<-arrived

	const waiters = 20
	results := make(chan error, waiters)
	for range waiters {
		go func() {
			k, err := e.cache.LookupKey(context.Background(), next.ID(), jwks.EdDSA)
			if err == nil && k.ID() != next.ID() {
				err = jwks.ErrUnknownKey
			}
			results <- err
		}()
	}
	cancel()
	select {
	case err := <-gaveUp:
		require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(time.Second):
		t.Fatal("a canceled waiter is still waiting")
	}
	time.Sleep(20 * time.Millisecond) // let the waiters park
	select {
	case err := <-results:
		t.Fatalf("a waiter returned before the fetch ended: %v", err)
	default:
	}

	close(release)
	for range waiters {
		assert.NoError(t, <-results)
	}
	assert.EqualValues(t, 1, e.srv.Hits.Load()-before, "one fetch for all")
}
