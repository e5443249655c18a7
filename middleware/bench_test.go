package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/token"
)

// BenchmarkAuthenticate measures a full admitted request: header parsing,
// verification with a static key, the class check, claims into the context
// and the next handler, through a reused ResponseWriter (a fresh recorder
// would add four allocations of its own). "cached" presents the
// same token again to a Verifier with a verified-token cache.
func BenchmarkAuthenticate(b *testing.B) {
	for _, tc := range []struct {
		name  string
		alg   jwks.Algorithm
		cache int
	}{
		{"HS256", jwks.HS256, 0},
		{"ES256", jwks.ES256, 0},
		{"EdDSA", jwks.EdDSA, 0},
		{"RS256", jwks.RS256, 0},
		{"ES256/cached", jwks.ES256, 1024},
	} {
		b.Run(tc.name, func(b *testing.B) {
			serve := admitOne(b, tc.alg, tc.cache)
			b.ReportAllocs()
			for b.Loop() {
				if code := serve(); code != http.StatusNoContent {
					b.Fatalf("status %d", code)
				}
			}
		})
	}
}

// admitOne returns a function that sends one execution token through
// Authenticate (a static alg key, a verifier with the given cache size,
// next answering 204) into a reused writer and returns the status.
func admitOne(tb testing.TB, alg jwks.Algorithm, cache int) func() int {
	tb.Helper()
	return admitObserved(tb, alg, cache, nil)
}

// admitObserved is admitOne with Config.Hooks set to hooks.
func admitObserved(tb testing.TB, alg jwks.Algorithm, cache int, hooks *observe.Hooks) func() int {
	tb.Helper()
	sk, err := jwks.Generate(alg)
	require.NoError(tb, err)
	f := newFixture(tb, sk)
	st, err := jwks.NewStatic(sk.Public())
	require.NoError(tb, err)
	v, err := token.NewVerifier(token.VerifierConfig{
		Keys: st, Issuer: testIssuer, Audience: []string{testAud}, Now: clock,
		Algorithms: []jwks.Algorithm{alg}, CacheSize: cache,
	})
	require.NoError(tb, err)
	h := middleware.Authenticate(middleware.Config{Verifier: v, Hooks: hooks})(reply(http.StatusNoContent))
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.Header.Set("Authorization", bearer(f.execution(tb, taskA)))
	w := &statusWriter{header: make(http.Header)}
	return func() int {
		clear(w.header)
		w.code = 0
		h.ServeHTTP(w, r)
		return w.code
	}
}

// statusWriter records the status and discards the body.
type statusWriter struct {
	header http.Header
	code   int
}

func (w *statusWriter) Header() http.Header { return w.header }

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

// BenchmarkAuthenticateHooks measures what reporting costs: the same
// admitted request without Hooks and with an OnAuth hook that counts
// outcomes in atomic counters, as a metrics exporter would. Compare with
// benchstat -col /hooks.
func BenchmarkAuthenticateHooks(b *testing.B) {
	for _, tc := range []struct {
		name  string
		alg   jwks.Algorithm
		cache int
	}{
		{"HS256", jwks.HS256, 0},
		{"ES256", jwks.ES256, 0},
		{"ES256-cached", jwks.ES256, 1024},
	} {
		for _, on := range []bool{false, true} {
			var hooks *observe.Hooks
			name := "alg=" + tc.name + "/hooks=off"
			if on {
				hooks = countingHooks(new(outcomes))
				name = "alg=" + tc.name + "/hooks=on"
			}
			b.Run(name, func(b *testing.B) {
				serve := admitObserved(b, tc.alg, tc.cache, hooks)
				b.ReportAllocs()
				for b.Loop() {
					if code := serve(); code != http.StatusNoContent {
						b.Fatalf("status %d", code)
					}
				}
			})
		}
	}
}
