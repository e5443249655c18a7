package token

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// VerifyResult reports a cache hit exactly when the verifier answered from
// its cache, whether the token then passed or not.
func TestVerifyResultCacheHit(t *testing.T) {
	t.Parallel()
	f := newCacheFixture(t, 64)
	raw := f.signed(t, validHeaderES256, validClaims(t, nil))
	ctx := context.Background()

	var first Result
	_, err := f.v.VerifyResult(ctx, raw, &first)
	require.NoError(t, err)
	assert.False(t, first.CacheHit, "first sight of a token is a miss")

	var second Result
	_, err = f.v.VerifyResult(ctx, raw, &second)
	require.NoError(t, err)
	assert.True(t, second.CacheHit)
	assert.EqualValues(t, 1, f.keys.lookups.Load(), "the hit checked no signature")

	// Past exp, the entry is still found, and refused on the time check.
	f.at.Add(int64(time.Hour / time.Second))
	var expired Result
	_, err = f.v.VerifyResult(ctx, raw, &expired)
	require.ErrorIs(t, err, ErrExpired)
	assert.True(t, expired.CacheHit)

	// A nil Result is allowed, as Verify passes.
	_, err = f.v.VerifyResult(ctx, raw, nil)
	require.ErrorIs(t, err, ErrExpired)
}

func TestVerifyResultWithoutCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	raw := f.signed(t, validHeaderES256, validClaims(t, nil))
	for range 2 {
		var res Result
		_, err := f.v.VerifyResult(context.Background(), raw, &res)
		require.NoError(t, err)
		assert.False(t, res.CacheHit)
	}
}
