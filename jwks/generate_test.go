package jwks_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

func TestGenerate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alg   jwks.Algorithm
		check func(t *testing.T, private any)
	}{
		{jwks.EdDSA, func(t *testing.T, p any) { assert.Len(t, p, ed25519.PrivateKeySize) }},
		{jwks.ES256, curveIs(elliptic.P256())},
		{jwks.ES384, curveIs(elliptic.P384())},
		{jwks.ES512, curveIs(elliptic.P521())},
		{jwks.RS256, func(t *testing.T, p any) {
			require.IsType(t, &rsa.PrivateKey{}, p)
			assert.Equal(t, jwks.GenerateRSABits, p.(*rsa.PrivateKey).N.BitLen())
		}},
		{jwks.HS256, func(t *testing.T, p any) { assert.Len(t, p, 32) }},
		{jwks.HS384, func(t *testing.T, p any) { assert.Len(t, p, 48) }},
		{jwks.HS512, func(t *testing.T, p any) { assert.Len(t, p, 64) }},
	}
	for _, tc := range tests {
		t.Run(string(tc.alg), func(t *testing.T) {
			t.Parallel()
			k, err := jwks.Generate(tc.alg)
			require.NoError(t, err)
			assert.Equal(t, tc.alg, k.Algorithm())
			tc.check(t, k.Private())
			same, err := jwks.NewSigningKey("", tc.alg, k.Private())
			require.NoError(t, err)
			assert.Equal(t, same.ID(), k.ID(), "default kid")
			if tc.alg == jwks.RS256 {
				return // one slow RSA key is enough
			}
			other, err := jwks.Generate(tc.alg)
			require.NoError(t, err)
			assert.NotEqual(t, k.Private(), other.Private())
			assert.NotEqual(t, k.ID(), other.ID())
		})
	}
}

func curveIs(c elliptic.Curve) func(t *testing.T, private any) {
	return func(t *testing.T, p any) {
		require.IsType(t, &ecdsa.PrivateKey{}, p)
		assert.Equal(t, c, p.(*ecdsa.PrivateKey).Curve)
	}
}

func TestGenerateRefuses(t *testing.T) {
	t.Parallel()
	for _, alg := range []jwks.Algorithm{"none", "", "es256", "HS1", "RSA-OAEP"} {
		k, err := jwks.Generate(alg)
		require.ErrorIs(t, err, jwks.ErrUnsupportedAlgorithm, string(alg))
		assert.Nil(t, k)
	}
}
