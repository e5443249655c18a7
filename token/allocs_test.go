//go:build !race

// The race detector drops a quarter of sync.Pool puts on purpose, so pooled
// buffers show up as allocations there; these counts are checked without it
// (.ci/run runs them separately).

package token

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

// TestVerifyAllocs pins what a verification allocates outside the crypto
// packages: the Claims, and one copy of the claims set that sub and jti
// share. More means a decode buffer escaped to the heap or a pooled state
// stopped being reused.
func TestVerifyAllocs(t *testing.T) {
	for _, alg := range []jwks.Algorithm{jwks.EdDSA, jwks.HS256, jwks.HS512} {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, alg, nil)
			raw, err := f.iss.Execution(uuid.New())
			require.NoError(t, err)
			ctx := context.Background()
			allocs := testing.AllocsPerRun(200, func() {
				if _, err := f.v.Verify(ctx, string(raw)); err != nil {
					t.Fatal(err)
				}
			})
			assert.Equal(t, 2.0, allocs)
		})
	}
}

// TestVerifyCachedAllocs: a cache hit allocates only the caller's copy.
func TestVerifyCachedAllocs(t *testing.T) {
	f := newFixture(t, jwks.ES256, func(c *VerifierConfig) { c.CacheSize = 16 })
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
	assert.Equal(t, 1.0, allocs)
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
