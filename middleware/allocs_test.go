//go:build !race && !goexperiment.boringcrypto

// The race detector drops sync.Pool entries on purpose, so allocation counts
// are checked without it (.ci/run runs them separately). BoringCrypto's
// hashes allocate on their own, so the counts hold for the Go crypto only.

package middleware_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/execauth/execauth/jwks"
)

// TestAuthenticateAllocs bounds what an admitted request allocates: the
// verifier's one (the Claims), the request copy and the context value that
// carries the claims; a cache hit shares the verified claims, so it has only
// the last two.
func TestAuthenticateAllocs(t *testing.T) {
	for _, tc := range []struct {
		alg   jwks.Algorithm
		cache int
		max   float64
	}{
		{jwks.EdDSA, 0, 3},
		{jwks.HS256, 0, 3},
		{jwks.ES256, 1024, 2},
		{jwks.HS256, 1024, 2},
	} {
		serve := admitOne(t, tc.alg, tc.cache)
		serve() // fills the cache, and the verifier's header memo
		allocs := testing.AllocsPerRun(200, func() {
			if code := serve(); code != http.StatusNoContent {
				t.Fatalf("status %d", code)
			}
		})
		assert.LessOrEqual(t, allocs, tc.max, "%s cache %d", tc.alg, tc.cache)
	}
}

// TestAuthenticateAllocsWithHooks: reporting an admitted request to an
// OnAuth hook adds no allocation.
func TestAuthenticateAllocsWithHooks(t *testing.T) {
	for _, tc := range []struct {
		alg   jwks.Algorithm
		cache int
	}{
		{jwks.EdDSA, 0},
		{jwks.HS256, 0},
		{jwks.ES256, 1024},
	} {
		var o outcomes
		plain := admitOne(t, tc.alg, tc.cache)
		observed := admitObserved(t, tc.alg, tc.cache, countingHooks(&o))
		plain()
		observed()
		run := func(serve func() int) float64 {
			return testing.AllocsPerRun(200, func() {
				if code := serve(); code != http.StatusNoContent {
					t.Fatalf("status %d", code)
				}
			})
		}
		without, with := run(plain), run(observed)
		assert.Equal(t, without, with, "%s cache %d", tc.alg, tc.cache)
		assert.Positive(t, o.admitted.Load(), "the hook ran")
	}
}
