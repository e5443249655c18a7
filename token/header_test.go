package token

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// remembered lists the kids of the headers v remembers, sorted.
func remembered(v *Verifier) []string {
	var out []string
	if m := v.headers.m.Load(); m != nil {
		for _, h := range *m {
			out = append(out, h.kid)
		}
	}
	slices.Sort(out)
	return out
}

// TestHeaderMemoOnlyVerified: a header is remembered only once its token's
// signature verified, so forged tokens with made-up headers leave no trace,
// and a remembered header is never trusted for more than its alg and kid.
func TestHeaderMemoOnlyVerified(t *testing.T) {
	f := newFixture(t, jwks.ES256, nil)
	good := f.signed(t, validHeaderES256, validClaims(t, nil))
	dot := strings.LastIndexByte(good, '.')
	for i := range 100 {
		// a valid signature of another token, under made-up kids
		hdr := fmt.Sprintf(`{"alg":"ES256","kid":"forged-%d"}`, i)
		_, err := f.verify(t, testkit.B64(hdr)+"."+testkit.B64(validClaims(t, nil))+good[dot:])
		require.ErrorIs(t, err, ErrUnknownKey)
	}
	_, err := f.verify(t, good[:len(good)-4]+"AAAA")
	require.ErrorIs(t, err, ErrSignature)
	assert.Empty(t, remembered(f.v))

	c, err := f.verify(t, good)
	require.NoError(t, err)
	assert.Equal(t, []string{"k1"}, remembered(f.v))
	assert.Equal(t, "k1", c.KeyID())
	c, err = f.verify(t, good)
	require.NoError(t, err)
	assert.Equal(t, "k1", c.KeyID())
	assert.Equal(t, []string{"k1"}, remembered(f.v), "remembered once")

	// The same header on a forged payload still needs a valid signature.
	h, _, _ := strings.Cut(good, ".")
	_, err = f.verify(t, h+"."+testkit.B64(validClaims(t, map[string]any{"sub": "x"}))+good[dot:])
	assert.ErrorIs(t, err, ErrSignature)
}

// TestHeaderMemoBounded: the memo never holds more than maxHeaders headers,
// starting over when full, and tokens verify whether their header is
// remembered or not.
func TestHeaderMemoBounded(t *testing.T) {
	var keys []jwks.Key
	var signers []*jwks.SigningKey
	for i := range maxHeaders + 4 {
		k := testkit.Key(t, jwks.HS256, fmt.Sprintf("h%02d", i))
		keys, signers = append(keys, k.Public()), append(signers, k)
	}
	st, err := jwks.NewStatic(keys...)
	require.NoError(t, err)
	v, err := NewVerifier(VerifierConfig{
		Keys: st, Issuer: testIssuer, Audience: []string{testAudience},
		Algorithms: []jwks.Algorithm{jwks.HS256}, Now: clock,
	})
	require.NoError(t, err)
	verify := func(k *jwks.SigningKey) {
		t.Helper()
		f := fixture{key: k, v: v}
		hdr := fmt.Sprintf(`{"alg":"HS256","kid":%q}`, k.ID())
		c, err := f.verify(t, f.signed(t, hdr, validClaims(t, nil)))
		require.NoError(t, err)
		assert.Equal(t, k.ID(), c.KeyID())
	}
	for _, k := range signers[:maxHeaders] {
		verify(k)
	}
	require.Len(t, remembered(v), maxHeaders, "every live header fits")
	for range 2 {
		for _, k := range signers {
			verify(k)
			assert.LessOrEqual(t, len(remembered(v)), maxHeaders)
		}
	}
}

// TestHeaderMemoKeyRemoved: a remembered header does not keep its key: once
// the key set drops the kid, the token is refused.
func TestHeaderMemoKeyRemoved(t *testing.T) {
	k := testkit.Key(t, jwks.ES256, "k1")
	var current jwks.Lookup
	st, err := jwks.NewStatic(k.Public())
	require.NoError(t, err)
	current = st
	v, err := NewVerifier(VerifierConfig{
		Keys: jwks.LookupFunc(func(ctx context.Context, kid string, alg jwks.Algorithm) (jwks.Key, error) {
			return current.LookupKey(ctx, kid, alg)
		}),
		Issuer: testIssuer, Audience: []string{testAudience}, Now: clock,
	})
	require.NoError(t, err)
	f := fixture{key: k, v: v}
	raw := f.signed(t, validHeaderES256, validClaims(t, nil))
	_, err = f.verify(t, raw)
	require.NoError(t, err)
	other, err := jwks.NewStatic(testkit.Key(t, jwks.ES256, "k2").Public())
	require.NoError(t, err)
	current = other
	_, err = f.verify(t, raw)
	assert.ErrorIs(t, err, ErrUnknownKey)
}
