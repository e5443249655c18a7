package securitytest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// newCache starts a Cache on srv with the clock; the refresh loop is an hour
// apart, so only the test and unknown kids make it fetch.
func newCache(t testing.TB, clock *authtest.Clock, srv *testkit.KeyServer, edit func(*jwks.CacheConfig)) (*jwks.Cache, *testkit.Errors) {
	t.Helper()
	rep := &testkit.Errors{}
	cfg := jwks.CacheConfig{
		URLs: []string{srv.URL}, RefreshInterval: time.Hour, MaxStale: 2 * time.Hour,
		Timeout: 2 * time.Second, Logger: testkit.ErrorLogger(rep.Add), Now: clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := jwks.NewCache(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, rep
}

// cacheRig is a rig whose verifier reads k1 from a remote JWK Set, served
// with the extra JWKs given.
func cacheRig(t testing.TB, edit func(*jwks.CacheConfig), extra ...string) (*rig, *testkit.KeyServer, *jwks.Cache, *testkit.Errors) {
	t.Helper()
	clock, k1 := authtest.NewClock(t0), testkit.Key(t, jwks.ES256, "k1")
	srv := testkit.NewKeyServer(t)
	srv.SetJWKs(append([]string{testkit.JWK(t, k1.Public(), "")}, extra...)...)
	c, rep := newCache(t, clock, srv, edit)
	r := newRig(t, rigOpts{clock: clock, key: k1, keys: c, verify: func(vc *token.VerifierConfig) {
		vc.Algorithms = []jwks.Algorithm{"ES256", "RS256", "HS256"}
	}})
	return r, srv, c, rep
}

func b64int(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// SECURITY.md "JWKS client": unusable keys, unknown kids, outage, removal.
func TestAttackJWKSKeys(t *testing.T) {
	t.Parallel()
	ecKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		return k
	}
	enc, ops, offCurve, dup1, dup2 := ecKey(), ecKey(), ecKey(), ecKey(), ecKey()
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	secret := []byte(strings.Repeat("s", 32))
	coord := func(n *big.Int) string { return b64int(n.FillBytes(make([]byte, 32))) }
	ecJWK := func(kid string, k *ecdsa.PrivateKey, y *big.Int, extra string) string {
		return `{"kty":"EC","crv":"P-256","kid":"` + kid + `","x":"` + coord(k.X) + `","y":"` + coord(y) + `"` + extra + `}`
	}
	hostile := []string{
		`{"kty":"oct","alg":"HS256","kid":"oct","k":"` + b64int(secret) + `"}`,
		ecJWK("enc", enc, enc.Y, `,"use":"enc"`),
		ecJWK("ops", ops, ops.Y, `,"key_ops":["sign"]`),
		`{"kty":"RSA","kid":"rsa1024","n":"` + b64int(weak.N.Bytes()) + `","e":"AQAB"}`,
		ecJWK("offcurve", offCurve, new(big.Int).Add(offCurve.Y, big.NewInt(1)), ""),
		ecJWK("dup", dup1, dup1.Y, ""),
		ecJWK("dup", dup2, dup2.Y, ""),
		`{"kty":"XYZ","kid":"xyz","x":"AAAA"}`,
		strings.Replace(ecJWK("secp", dup1, dup1.Y, ""), "P-256", "secp256k1", 1),
	}
	r, srv, _, rep := cacheRig(t, nil, hostile...)
	claims := r.claims(t, nil, "")
	signed := func(alg jwks.Algorithm, kid string, key any) string {
		input := testkit.B64(testkit.Header(string(alg), kid, "")) + "." + testkit.B64(claims)
		return input + "." + testkit.SignInput(t, alg, key, input)
	}
	// One unusable key (unknown kty/curve, `use: enc`, `key_ops` without
	// `verify`, RSA < 2048, bad point, duplicate kid) is skipped and
	// reported; the usable rest is kept.
	tests := []struct {
		name string
		raw  string
	}{
		// HMAC is never accepted through a remote JWKS (`oct` keys are dropped at load).
		{"oct key, HS256 allowed", signed("HS256", "oct", secret)},
		{"use enc", signed("ES256", "enc", enc)},
		{"key_ops without verify", signed("ES256", "ops", ops)},
		{"RSA 1024", signed("RS256", "rsa1024", weak)},
		{"bad point", signed("ES256", "offcurve", offCurve)},
		{"duplicate kid, first key", signed("ES256", "dup", dup1)},
		{"duplicate kid, second key", signed("ES256", "dup", dup2)},
		{"unknown kty", signed("ES256", "xyz", dup1)},
		{"unknown curve", signed("ES256", "secp", dup1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.reject(t, tc.raw, token.ErrUnknownKey)
		})
	}
	t.Run("the usable rest is kept", func(t *testing.T) {
		r.accept(t, r.token(t, nil, ""))
		assert.Equal(t, len(hostile), rep.Len(), "every unusable key reported once")
	})
	// Unknown kid: one shared refresh at most per cooldown (30 s default);
	// callers never wait for the cooldown
	assert.Equal(t, int64(1), srv.Hits.Load(), "misses during the cooldown fetched")

	t.Run("no fetch for an empty kid or a token without kid", func(t *testing.T) {
		r.clock.Advance(jwks.DefaultCooldown + time.Second)
		before := srv.Hits.Load()
		// empty `kid` is rejected without a key refresh.
		r.reject(t, testkit.Sign(t, r.key, `{"alg":"ES256","kid":""}`, claims), token.ErrMalformed)
		r.reject(t, signed("HS256", "", secret), token.ErrUnknownKey)
		assert.Equal(t, before, srv.Hits.Load())
	})
	t.Run("unknown kid flood", func(t *testing.T) {
		r.clock.Advance(jwks.DefaultCooldown + time.Second)
		before := srv.Hits.Load()
		start := time.Now()
		floodUnknownKIDs(t, r.v, 1000)
		assert.Equal(t, before+1, srv.Hits.Load(), "one shared fetch per cooldown")
		floodUnknownKIDs(t, r.v, 1000)
		assert.Equal(t, before+1, srv.Hits.Load(), "a fetch inside the cooldown")
		assert.Less(t, time.Since(start), 5*time.Second, "callers waited")
		r.clock.Advance(jwks.DefaultCooldown)
		floodUnknownKIDs(t, r.v, 100)
		assert.Equal(t, before+2, srv.Hits.Load(), "not one more fetch once the cooldown passed")
	})
}

// floodUnknownKIDs verifies n tokens with random kids from 8 goroutines;
// each must fail as an unknown key.
func floodUnknownKIDs(t *testing.T, v *token.Verifier, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				var kid [12]byte
				_, _ = rand.Read(kid[:])
				raw := testkit.B64(testkit.Header("ES256", hex.EncodeToString(kid[:]), "")) + ".e30.AAAA"
				if _, err := v.Verify(t.Context(), raw); !assert.ErrorIs(t, err, token.ErrUnknownKey) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// SECURITY.md "JWKS client": during an outage the last good keys are used
// up to `MaxStale`; after that, or if keys were never loaded, verification
// fails with a "keys unavailable" error → HTTP 503, not 401.
func TestAttackJWKSOutage(t *testing.T) {
	t.Parallel()
	failing := func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusInternalServerError) }
	t.Run("past MaxStale", func(t *testing.T) {
		r, srv, c, _ := cacheRig(t, nil)
		srv.SetHandler(failing)
		r.clock.Advance(2*time.Hour - time.Second)
		require.ErrorIs(t, c.Refresh(t.Context()), jwks.ErrKeysUnavailable)
		r.accept(t, r.token(t, nil, "")) // last good keys
		r.clock.Advance(time.Second)
		r.reject(t, r.token(t, nil, ""), token.ErrKeysUnavailable)
		r.reject(t, r.token(t, nil, ""), token.ErrKeysUnavailable) // stays so
		srv.SetKeys(t, r.key.Public())
		require.NoError(t, c.Refresh(t.Context()))
		r.accept(t, r.token(t, nil, ""))
	})
	// keyfunc "starts with no keys" when "the JWKS is unreachable at start":
	// here that is an error, unless the host opts in.
	t.Run("unreachable at start", func(t *testing.T) {
		srv := testkit.NewKeyServer(t)
		srv.SetHandler(failing)
		_, err := jwks.NewCache(t.Context(), jwks.CacheConfig{URLs: []string{srv.URL}, Logger: slog.New(slog.DiscardHandler)})
		require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	})
	t.Run("never loaded", func(t *testing.T) {
		clock, k1 := authtest.NewClock(t0), testkit.Key(t, jwks.ES256, "k1")
		srv := testkit.NewKeyServer(t)
		srv.SetHandler(failing)
		c, _ := newCache(t, clock, srv, func(cfg *jwks.CacheConfig) { cfg.StartWithoutKeys = true })
		r := newRig(t, rigOpts{clock: clock, key: k1, keys: c})
		r.reject(t, r.token(t, nil, ""), token.ErrKeysUnavailable)
		srv.SetKeys(t, k1.Public())
		require.NoError(t, c.Refresh(t.Context()))
		r.accept(t, r.token(t, nil, ""))
	})
	// Key removal: after a refresh, tokens signed by a removed key are
	// rejected.
	t.Run("key removal", func(t *testing.T) {
		k2 := testkit.Key(t, jwks.ES256, "k2")
		r, srv, c, _ := cacheRig(t, nil, testkit.JWK(t, k2.Public(), ""))
		byK2 := testkit.Sign(t, k2, testkit.Header("ES256", "k2", ""), r.claims(t, nil, ""))
		r.accept(t, byK2)
		srv.SetKeys(t, r.key.Public())
		require.NoError(t, c.Refresh(t.Context()))
		r.reject(t, byK2, token.ErrUnknownKey)
		r.accept(t, r.token(t, nil, ""))
	})
}

// SECURITY.md "JWKS client": fetch body cap (1 MiB), request timeout (5 s
// default), context honoured, non-2xx and non-JSON bodies keep the previous
// keys, redirects never to another host.
func TestAttackJWKSFetch(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(other.Close)
	stall := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	tests := []struct {
		name   string
		answer http.HandlerFunc
	}{
		{"status 500", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }},
		{"status 404 with a key set", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"keys":[]}`))
		}},
		{"HTML", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>" + canary + "</html>")) }},
		{"JSON without keys", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"kty":"EC"}`)) }},
		{"truncated JSON", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"keys":[{"kty":"EC",`)) }},
		{"body over the cap, declared", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("a", 64<<10) + `"}`))
		}},
		{"body over the cap, chunked", func(w http.ResponseWriter, _ *http.Request) {
			for range 80 {
				_, _ = w.Write([]byte(strings.Repeat(" ", 1<<10)))
				w.(http.Flusher).Flush()
			}
		}},
		{"stalls past the timeout", stall},
		{"redirect to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/jwks.json", http.StatusFound)
		}},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/again", http.StatusFound)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, srv, c, rep := cacheRig(t, func(cfg *jwks.CacheConfig) {
				cfg.Timeout, cfg.MaxBodySize = time.Second, 64<<10 // a stall costs the timeout; a loaded machine needs some
			})
			srv.SetHandler(tc.answer)
			require.ErrorIs(t, c.Refresh(t.Context()), jwks.ErrKeysUnavailable)
			assert.Positive(t, rep.Len(), "failure not reported")
			r.accept(t, r.token(t, nil, "")) // previous keys kept
		})
	}
	assert.Zero(t, elsewhere.Load(), "followed a redirect to another host")

	t.Run("a waiting caller's context is honoured", func(t *testing.T) {
		t.Parallel()
		_, srv, c, _ := cacheRig(t, nil) // Timeout 2s
		srv.SetHandler(stall)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		require.ErrorIs(t, c.Refresh(ctx), jwks.ErrKeysUnavailable)
		assert.Less(t, time.Since(start), time.Second)
	})
	t.Run("control: redirect on the same host", func(t *testing.T) {
		t.Parallel()
		r, srv, c, _ := cacheRig(t, nil)
		body := `{"keys":[` + testkit.JWK(t, r.key.Public(), "") + `]}`
		srv.SetHandler(func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path != "/moved" {
				http.Redirect(w, req, "/moved", http.StatusFound)
				return
			}
			_, _ = w.Write([]byte(body))
		})
		require.NoError(t, c.Refresh(t.Context()))
		r.accept(t, r.token(t, nil, ""))
	})
}
