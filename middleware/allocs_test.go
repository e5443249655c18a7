//go:build !race

// The race detector drops sync.Pool entries on purpose, so allocation counts
// are checked without it (.ci/run runs them separately).

package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/token"
)

// TestAuthenticateAllocs pins what an admitted request allocates besides
// the crypto packages: the verifier's two (Claims and the claims text), one
// context value and the request copy; a cache hit has the caller's copy of
// the claims instead of the verifier's two.
func TestAuthenticateAllocs(t *testing.T) {
	for _, tc := range []struct {
		alg   string
		cache int
		want  float64
	}{
		{jwks.EdDSA, 0, 4},
		{jwks.HS256, 0, 4},
		{jwks.ES256, 1024, 3},
	} {
		sk, err := jwks.Generate(tc.alg)
		require.NoError(t, err)
		f := newFixture(t, sk)
		st, err := jwks.NewStatic(sk.Public())
		require.NoError(t, err)
		v, err := token.NewVerifier(token.VerifierConfig{
			Keys: st, Issuer: testIssuer, Audience: []string{testAud}, Now: clock,
			Algorithms: []string{tc.alg}, CacheSize: tc.cache,
		})
		require.NoError(t, err)
		h := middleware.Authenticate(middleware.Config{Verifier: v})(reply(http.StatusNoContent))
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		r.Header.Set("Authorization", bearer(f.execution(t, taskA)))
		w := &statusWriter{header: make(http.Header)}
		allocs := testing.AllocsPerRun(200, func() {
			w.code = 0
			h.ServeHTTP(w, r)
			if w.code != http.StatusNoContent {
				t.Fatalf("status %d", w.code)
			}
		})
		assert.Equal(t, tc.want, allocs, "%s cache %d", tc.alg, tc.cache)
	}
}
