package jwks_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// testdataKey parses a PEM private key file of testdata with crypto/x509
// alone, so that tests of this package's parser do not depend on it.
func testdataKey(t testing.TB, name string) any {
	t.Helper()
	block, _ := pem.Decode(readTestdata(t, name))
	require.NotNil(t, block, name)
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	require.NoError(t, err, name)
	return key
}

// rsaKey is a 2048-bit test key from testdata: generating one is slow.
func rsaKey(t testing.TB) *rsa.PrivateKey {
	return testdataKey(t, "rsa2048-pkcs1.pem").(*rsa.PrivateKey)
}

func ecKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	require.NoError(t, err)
	return k
}

func edKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return k
}

func mustSigningKey(t testing.TB, kid string, alg jwks.Algorithm, private any) *jwks.SigningKey {
	t.Helper()
	k, err := jwks.NewSigningKey(kid, alg, private)
	require.NoError(t, err)
	return k
}

func mustKey(t testing.TB, kid string, alg jwks.Algorithm, material any) jwks.Key {
	t.Helper()
	k, err := jwks.NewKey(kid, alg, material)
	require.NoError(t, err)
	return k
}

// secretOf returns an n-byte HMAC secret that is easy to spot in output.
func secretOf(n int) []byte {
	return []byte(strings.Repeat("hmac-secret-never-printed-", 4)[:n])
}

func TestNewKeyDerivesAlgorithm(t *testing.T) {
	t.Parallel()
	rk := rsaKey(t)
	ed := edKey(t)
	edPub := ed.Public().(ed25519.PublicKey)
	tests := []struct {
		name string
		key  any
		want jwks.Algorithm
	}{
		{"RSA", &rk.PublicKey, jwks.RS256},
		{"P-256", &ecKey(t, elliptic.P256()).PublicKey, jwks.ES256},
		{"P-384", &ecKey(t, elliptic.P384()).PublicKey, jwks.ES384},
		{"P-521", &ecKey(t, elliptic.P521()).PublicKey, jwks.ES512},
		{"Ed25519", edPub, jwks.EdDSA},
		{"Ed25519 pointer", &edPub, jwks.EdDSA},
		{"RSA private", rk, jwks.RS256},
		{"P-256 private", ecKey(t, elliptic.P256()), jwks.ES256},
		{"Ed25519 private", ed, jwks.EdDSA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwks.NewKey("kid-1", "", tc.key)
			require.NoError(t, err)
			assert.Equal(t, tc.want, k.Algorithm())
			assert.Equal(t, "kid-1", k.ID())
			assert.False(t, k.IsSymmetric())
		})
	}
}

func TestNewKeyRefuses(t *testing.T) {
	t.Parallel()
	rk := rsaKey(t)
	weak := testdataKey(t, "rsa1024-pkcs1.pem").(*rsa.PrivateKey)
	p256 := &ecKey(t, elliptic.P256()).PublicKey
	p384 := &ecKey(t, elliptic.P384()).PublicKey
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).Set(p256.X), Y: new(big.Int).Add(p256.Y, big.NewInt(1))}
	ed := edKey(t).Public().(ed25519.PublicKey)
	tests := []struct {
		name    string
		kid     string
		alg     jwks.Algorithm
		key     any
		wantErr error
	}{
		{"HMAC without alg", "", "", secretOf(64), jwks.ErrUnsupportedKey},
		{"RSA 1024 RS256", "", jwks.RS256, &weak.PublicKey, jwks.ErrWeakKey},
		{"RSA 1024 derived", "", "", &weak.PublicKey, jwks.ErrWeakKey},
		{"RSA 1024 PS256", "", jwks.PS256, &weak.PublicKey, jwks.ErrWeakKey},
		{"HS256 31 bytes", "", jwks.HS256, secretOf(31), jwks.ErrWeakKey},
		{"HS384 47 bytes", "", jwks.HS384, secretOf(47), jwks.ErrWeakKey},
		{"HS512 63 bytes", "", jwks.HS512, secretOf(63), jwks.ErrWeakKey},
		{"HS256 empty", "", jwks.HS256, []byte{}, jwks.ErrWeakKey},
		{"HS512 nil", "", jwks.HS512, []byte(nil), jwks.ErrWeakKey},
		{"P-384 for ES256", "", jwks.ES256, p384, jwks.ErrKeyMismatch},
		{"P-256 for ES512", "", jwks.ES512, p256, jwks.ErrKeyMismatch},
		{"RSA for ES256", "", jwks.ES256, &rk.PublicKey, jwks.ErrKeyMismatch},
		{"EC for EdDSA", "", jwks.EdDSA, p256, jwks.ErrKeyMismatch},
		{"secret for RS256", "", jwks.RS256, secretOf(64), jwks.ErrKeyMismatch},
		{"RSA public key as HS256 secret", "", jwks.HS256, &rk.PublicKey, jwks.ErrKeyMismatch},
		{"short Ed25519", "", jwks.EdDSA, ed[:31], jwks.ErrKeyMismatch},
		{"none", "", "none", p256, jwks.ErrUnsupportedAlgorithm},
		{"lower-case alg", "", "es256", p256, jwks.ErrUnsupportedAlgorithm},
		{"unknown alg", "", "HS1", secretOf(64), jwks.ErrUnsupportedAlgorithm},
		{"point off the curve", "", jwks.ES256, offCurve, jwks.ErrUnsupportedKey},
		{"EC without point", "", jwks.ES256, &ecdsa.PublicKey{Curve: elliptic.P256()}, jwks.ErrUnsupportedKey},
		{"nil EC key", "", jwks.ES256, (*ecdsa.PublicKey)(nil), jwks.ErrKeyMismatch},
		{"nil EC key derived", "", "", (*ecdsa.PublicKey)(nil), jwks.ErrUnsupportedKey},
		{"nil RSA key", "", jwks.RS256, (*rsa.PublicKey)(nil), jwks.ErrKeyMismatch},
		{"nil RSA private key", "", "", (*rsa.PrivateKey)(nil), jwks.ErrUnsupportedKey},
		{"RSA exponent 1", "", jwks.RS256, &rsa.PublicKey{N: rk.N, E: 1}, jwks.ErrUnsupportedKey},
		{"RSA even exponent", "", jwks.RS256, &rsa.PublicKey{N: rk.N, E: 65538}, jwks.ErrUnsupportedKey},
		{"not a key", "", "", "key", jwks.ErrUnsupportedKey},
		{"kid of 257 bytes", strings.Repeat("k", 257), "", p256, jwks.ErrInvalidKID},
		{"kid with newline", "a\nb", "", p256, jwks.ErrInvalidKID},
		{"kid with DEL", "a\x7f", "", p256, jwks.ErrInvalidKID},
		{"kid with NUL", "a\x00", "", p256, jwks.ErrInvalidKID},
		{"kid not ASCII", "clé", "", p256, jwks.ErrInvalidKID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwks.NewKey(tc.kid, tc.alg, tc.key)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Equal(t, jwks.Key{}, k)
		})
	}
}

func TestNewKeyAcceptsKIDs(t *testing.T) {
	t.Parallel()
	p256 := &ecKey(t, elliptic.P256()).PublicKey
	for _, kid := range []string{"", "a", "key 1 ~!", strings.Repeat("k", jwks.MaxKIDLen)} {
		k, err := jwks.NewKey(kid, "", p256)
		require.NoError(t, err)
		assert.Equal(t, kid, k.ID())
	}
}

func TestNewKeyHMACBoundaries(t *testing.T) {
	t.Parallel()
	for alg, n := range map[jwks.Algorithm]int{jwks.HS256: 32, jwks.HS384: 48, jwks.HS512: 64} {
		k, err := jwks.NewKey("h", alg, secretOf(n))
		require.NoError(t, err, alg)
		assert.True(t, k.IsSymmetric())
		assert.Equal(t, alg, k.Algorithm())
	}
}

func TestNewKeyCopiesSlices(t *testing.T) {
	t.Parallel()
	secret := secretOf(32)
	k, err := jwks.NewKey("h", jwks.HS256, secret)
	require.NoError(t, err)
	secret[0] ^= 0xff
	assert.Equal(t, secretOf(32), k.Material())

	pub := edKey(t).Public().(ed25519.PublicKey)
	want := append(ed25519.PublicKey(nil), pub...)
	e, err := jwks.NewKey("e", "", pub)
	require.NoError(t, err)
	pub[0] ^= 0xff
	assert.Equal(t, want, e.Material())
}

// A Key is a verification key: given a private key it must not keep it.
func TestNewKeyKeepsOnlyPublicHalf(t *testing.T) {
	t.Parallel()
	ec := ecKey(t, elliptic.P256())
	rk := rsaKey(t)
	ed := edKey(t)
	tests := []struct {
		name    string
		private any
		want    any
	}{
		{"EC", ec, &ec.PublicKey},
		{"RSA", rk, &rk.PublicKey},
		{"Ed25519", ed, ed.Public()},
		{"Ed25519 pointer", &ed, ed.Public()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwks.NewKey("k", "", tc.private)
			require.NoError(t, err)
			assert.Equal(t, tc.want, k.Material())
		})
	}
}
