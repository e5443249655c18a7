package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
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
		alg   string
		cache int
	}{
		{"HS256", jwks.HS256, 0},
		{"ES256", jwks.ES256, 0},
		{"EdDSA", jwks.EdDSA, 0},
		{"RS256", jwks.RS256, 0},
		{"ES256/cached", jwks.ES256, 1024},
	} {
		b.Run(tc.name, func(b *testing.B) {
			sk, err := jwks.Generate(tc.alg)
			require.NoError(b, err)
			f := newFixture(b, sk)
			st, err := jwks.NewStatic(sk.Public())
			require.NoError(b, err)
			v, err := token.NewVerifier(token.VerifierConfig{
				Keys: st, Issuer: testIssuer, Audience: []string{testAud}, Now: clock,
				Algorithms: []string{tc.alg}, CacheSize: tc.cache,
			})
			require.NoError(b, err)
			h := middleware.Authenticate(middleware.Config{Verifier: v})(reply(http.StatusNoContent))
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			r.Header.Set("Authorization", bearer(f.execution(b, taskA)))
			w := &statusWriter{header: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				w.code = 0
				h.ServeHTTP(w, r)
				if w.code != http.StatusNoContent {
					b.Fatalf("status %d", w.code)
				}
			}
		})
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
