package jwks_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

// rfcJWK holds the JWK members the vectors use.
type rfcJWK struct {
	Kty, Crv, X, Y, D, N, E, Alg, Kid string
}

// rfcVectors is testdata/rfc-vectors.json: RFC 7515 Appendix A, RFC 8037
// Appendix A and RFC 7638 §3.1.
type rfcVectors struct {
	RFC7515 map[string]struct {
		JWK rfcJWK `json:"jwk"`
	} `json:"rfc7515"`
	RFC8037 struct {
		PrivateD   string `json:"A.1_private_d"`
		PublicJWK  rfcJWK `json:"A.2_public_jwk"`
		Thumbprint string `json:"A.3_thumbprint"`
	} `json:"rfc8037"`
	RFC7638 struct {
		JWK        rfcJWK `json:"3.1_jwk"`
		Thumbprint string `json:"3.1_thumbprint"`
	} `json:"rfc7638"`
}

func loadVectors(t testing.TB) rfcVectors {
	t.Helper()
	data, err := os.ReadFile("testdata/rfc-vectors.json")
	require.NoError(t, err)
	var v rfcVectors
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

// b64Int decodes a base64url big-endian integer of a vector.
func b64Int(t testing.TB, s string) *big.Int {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return new(big.Int).SetBytes(b)
}

// vectorRSA builds the RSA public key of a vector's n and e.
func vectorRSA(t testing.TB, j rfcJWK) *rsa.PublicKey {
	return &rsa.PublicKey{N: b64Int(t, j.N), E: int(b64Int(t, j.E).Int64())}
}

// vectorEC builds the EC public key of a vector's crv, x and y.
func vectorEC(t testing.TB, j rfcJWK) *ecdsa.PublicKey {
	t.Helper()
	curves := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}
	require.Contains(t, curves, j.Crv)
	return &ecdsa.PublicKey{Curve: curves[j.Crv], X: b64Int(t, j.X), Y: b64Int(t, j.Y)}
}

// vectorEd25519 builds the RFC 8037 A.1 key from its seed d.
func vectorEd25519(t testing.TB, v rfcVectors) ed25519.PrivateKey {
	t.Helper()
	seed, err := base64.RawURLEncoding.DecodeString(v.RFC8037.PrivateD)
	require.NoError(t, err)
	return ed25519.NewKeyFromSeed(seed)
}

func TestThumbprintRFC7638(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	got, err := jwks.Thumbprint(vectorRSA(t, v.RFC7638.JWK))
	require.NoError(t, err)
	assert.Equal(t, v.RFC7638.Thumbprint, got)
}

func TestThumbprintRFC8037(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	priv := vectorEd25519(t, v)
	for name, key := range map[string]any{"private": priv, "public": priv.Public(), "pointer": &priv} {
		got, err := jwks.Thumbprint(key)
		require.NoError(t, err, name)
		assert.Equal(t, v.RFC8037.Thumbprint, got, name)
	}
	k := mustSigningKey(t, "", "", priv)
	assert.Equal(t, v.RFC8037.Thumbprint, k.ID(), "default kid")
}

// The EC thumbprint hashes the members in lexicographic order with full-length
// coordinates (RFC 7638 §3.2, RFC 7518 §6.2.1.2). The RFC 7515 A.3 key has no
// published thumbprint; the canonical form is written out here instead.
func TestThumbprintEC(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	j := v.RFC7515["A.3"].JWK
	got, err := jwks.Thumbprint(vectorEC(t, j))
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + j.X + `","y":"` + j.Y + `"}`))
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), got)
}

func TestThumbprintRefusesUnknownTypes(t *testing.T) {
	t.Parallel()
	for _, key := range []any{"key", nil, 42, (*rsa.PrivateKey)(nil), ed25519.PrivateKey{1, 2}} {
		_, err := jwks.Thumbprint(key)
		require.ErrorIs(t, err, jwks.ErrUnsupportedKey)
	}
}
