package token

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

func remembered(v *Verifier) []string {
	if p := v.kids.kids.Load(); p != nil {
		return *p
	}
	return nil
}

// TestKidTableOnlyVerified: a kid is remembered only once its token's
// signature verified, so forged tokens with made-up kids leave no trace.
func TestKidTableOnlyVerified(t *testing.T) {
	f := newFixture(t, jwks.ES256, nil)
	good := f.signed(t, validHeaderES256, validClaims(t, nil))
	dot := strings.LastIndexByte(good, '.')
	for i := range 100 {
		// a valid signature of another token, under made-up kids
		hdr := fmt.Sprintf(`{"alg":"ES256","kid":"forged-%d"}`, i)
		_, err := f.verify(t, b64(hdr)+"."+b64(validClaims(t, nil))+good[dot:])
		require.ErrorIs(t, err, ErrUnknownKey)
	}
	wrongSig := good[:len(good)-4] + "AAAA"
	_, err := f.verify(t, wrongSig)
	require.ErrorIs(t, err, ErrSignature)
	assert.Empty(t, remembered(f.v))

	c, err := f.verify(t, good)
	require.NoError(t, err)
	assert.Equal(t, []string{"k1"}, remembered(f.v))
	assert.Equal(t, "k1", c.KeyID())
	_, err = f.verify(t, good)
	require.NoError(t, err)
	assert.Equal(t, []string{"k1"}, remembered(f.v), "remembered once")
}

// TestKidTableBounded: past maxInterned kids the table stops growing, and
// kids outside it still verify.
func TestKidTableBounded(t *testing.T) {
	var keys []jwks.Key
	var signers []*jwks.SigningKey
	for i := range maxInterned + 4 {
		k := newKey(t, jwks.HS256, fmt.Sprintf("h%d", i))
		keys, signers = append(keys, k.Public()), append(signers, k)
	}
	st, err := jwks.NewStatic(keys...)
	require.NoError(t, err)
	v, err := NewVerifier(VerifierConfig{
		Keys: st, Issuer: testIssuer, Audience: []string{testAudience},
		Algorithms: []string{jwks.HS256}, Now: clock,
	})
	require.NoError(t, err)
	for _, k := range signers {
		f := fixture{key: k, v: v}
		hdr := fmt.Sprintf(`{"alg":"HS256","kid":%q}`, k.ID())
		c, err := f.verify(t, f.signed(t, hdr, validClaims(t, nil)))
		require.NoError(t, err)
		assert.Equal(t, k.ID(), c.KeyID())
	}
	assert.Len(t, remembered(v), maxInterned)
	assert.Equal(t, "h0", remembered(v)[0])
}
