package jwks_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// Replicas of one issuer each serve the same JWK Set: a verifier that
// fetches all of them holds each key once, reports nothing, and keeps
// verifying when one replica stops answering.
func TestCacheSameKeyFromSeveralURLsIsOneKey(t *testing.T) {
	t.Parallel()
	active, retiring := testkit.Key(t, jwks.ES256, ""), testkit.Key(t, jwks.EdDSA, "")
	replicaA := testkit.NewKeyServer(t, active.Public(), retiring.Public())
	replicaB := testkit.NewKeyServer(t, retiring.Public(), active.Public()) // another order, same keys
	var errs testkit.Errors
	e := &cacheEnv{clock: authtest.NewClock(t0), errs: &errs}
	c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{
		URLs:   []string{replicaA.URL, replicaB.URL},
		Keys:   []jwks.Key{active.Public()}, // the same key given locally too
		Logger: testkit.ErrorLogger(errs.Add), Now: e.clock.Now,
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	e.cache = c

	assert.ElementsMatch(t, []string{active.ID(), retiring.ID()}, kids(c.PublicKeys()), "each key once")
	assert.Zero(t, errs.Len(), "nothing reported: copies are not conflicts")
	v := e.verifier(t)
	for _, k := range []*jwks.SigningKey{active, retiring} {
		_, err := v.Verify(t.Context(), e.mint(t, k))
		require.NoError(t, err, k.Algorithm())
	}
	gen := c.Generation()

	// One replica goes away: its last set is kept (up to MaxStale), the
	// other still serves; the keys and the generation do not change.
	replicaB.SetHandler(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "gone", http.StatusBadGateway) })
	require.Error(t, c.Refresh(t.Context()))
	assert.Equal(t, gen, c.Generation())
	for _, k := range []*jwks.SigningKey{active, retiring} {
		_, err := v.Verify(t.Context(), e.mint(t, k))
		require.NoError(t, err, k.Algorithm())
	}
	assert.Equal(t, int64(2), replicaA.Hits.Load())
}

// The same kid with different keys stays a conflict, whichever places it
// comes from: every key with that kid is dropped and reported (fail
// closed), the other keys stay.
func TestCacheSameKIDWithOtherKeyIsAConflict(t *testing.T) {
	t.Parallel()
	shared := testkit.Key(t, jwks.ES256, "")
	mine, forged := testkit.Key(t, jwks.ES256, "k1"), testkit.Key(t, jwks.ES256, "k1")
	tests := []struct {
		name  string
		sets  [][]jwks.Key
		local []jwks.Key
	}{
		{"two URLs", [][]jwks.Key{{shared.Public(), mine.Public()}, {shared.Public(), forged.Public()}}, nil},
		{"a copy and a conflict", [][]jwks.Key{{shared.Public(), mine.Public()}, {mine.Public()}, {forged.Public(), shared.Public()}}, nil},
		{"a URL and Keys", [][]jwks.Key{{shared.Public(), forged.Public()}}, []jwks.Key{mine.Public()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var urls []string
			for _, set := range tc.sets {
				urls = append(urls, testkit.NewKeyServer(t, set...).URL)
			}
			var errs testkit.Errors
			c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{URLs: urls, Keys: tc.local, Logger: testkit.ErrorLogger(errs.Add)})
			require.NoError(t, err)
			t.Cleanup(c.Close)

			assert.Equal(t, []string{shared.ID()}, kids(c.PublicKeys()))
			_, err = c.LookupKey(t.Context(), "k1", jwks.ES256)
			require.ErrorIs(t, err, jwks.ErrUnknownKey)
			assert.Equal(t, 2, errs.Count(jwks.ErrInvalidKID), "both keys of the kid reported, copies once")
			k, err := c.LookupKey(t.Context(), shared.ID(), jwks.ES256)
			require.NoError(t, err)
			assert.Equal(t, shared.ID(), k.ID())
		})
	}
}
