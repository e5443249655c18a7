//go:build !race && !goexperiment.boringcrypto

// The race detector drops a quarter of sync.Pool puts on purpose, so pooled
// buffers show up as allocations there; these counts are checked without it
// (.ci/run runs them separately). BoringCrypto's hashes allocate on their
// own, so the counts hold for the Go crypto only.

package token

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

func allocsOf(t *testing.T, v *Verifier, raw string) float64 {
	t.Helper()
	ctx := context.Background()
	_, err := v.Verify(ctx, raw) // fills the header memo and any cache
	require.NoError(t, err)
	return testing.AllocsPerRun(200, func() {
		if _, err := v.Verify(ctx, raw); err != nil {
			t.Fatal(err)
		}
	})
}

// TestVerifyAllocs bounds what a verification allocates: the Claims, which
// hold the usual token's sub and jti; with host claims or longer strings,
// one copy of the claims set, which they all share; one array for several
// audiences. More means a decode buffer escaped to the heap, the
// HMAC states stopped being reused, or the cost grows with the token again.
func TestVerifyAllocs(t *testing.T) {
	for _, tc := range []struct {
		alg        jwks.Algorithm
		plain, big float64
	}{
		{jwks.HS256, 1, 3},
		{jwks.HS512, 1, 3},
		{jwks.EdDSA, 1, 3},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			f := newFixture(t, tc.alg, nil)
			raw, err := f.iss.Execution(uuid.New())
			require.NoError(t, err)
			assert.LessOrEqual(t, allocsOf(t, f.v, string(raw)), tc.plain)
			assert.LessOrEqual(t, allocsOf(t, f.v, bigToken(t, f)), tc.big, "20 host claims, 10 audiences")
		})
	}
}

// TestVerifyCachedAllocs: a cache hit allocates nothing, however large the
// token: the claims are shared, not copied.
func TestVerifyCachedAllocs(t *testing.T) {
	f := newFixture(t, jwks.ES256, func(c *VerifierConfig) { c.CacheSize = 16 })
	raw, err := f.iss.Execution(uuid.New())
	require.NoError(t, err)
	assert.Zero(t, allocsOf(t, f.v, string(raw)))
	assert.Zero(t, allocsOf(t, f.v, bigToken(t, f)), "20 host claims, 10 audiences")
}

// TestVerifyCachedRevocationAllocs: checking revocations on a cache hit
// allocates nothing more.
func TestVerifyCachedRevocationAllocs(t *testing.T) {
	list := newRevokeList(t)
	require.NoError(t, list.RevokeSubject(context.Background(), uuid.NewString(), now))
	f := newFixture(t, jwks.ES256, func(c *VerifierConfig) { c.CacheSize = 16; c.Revocations = list })
	raw, err := f.iss.Execution(uuid.New())
	require.NoError(t, err)
	ctx := context.Background()
	_, err = f.v.Verify(ctx, string(raw))
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := f.v.Verify(ctx, string(raw)); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 1.0)
}
