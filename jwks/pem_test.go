package jwks_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// equalPrivate reports whether two signing keys hold the same private key.
func equalPrivate(t testing.TB, want, got *jwks.SigningKey) {
	t.Helper()
	if secret, ok := want.Private().([]byte); ok {
		assert.Equal(t, secret, got.Private())
		return
	}
	eq, ok := want.Private().(interface{ Equal(crypto.PrivateKey) bool })
	require.True(t, ok)
	assert.True(t, eq.Equal(got.Private()), "same private key")
}

func TestPrivateRoundTrip(t *testing.T) {
	t.Parallel()
	rsaSK := mustSigningKey(t, "", "", rsaKey(t))
	keys := map[jwks.Algorithm]*jwks.SigningKey{jwks.RS256: rsaSK}
	for _, alg := range []jwks.Algorithm{jwks.EdDSA, jwks.ES256, jwks.ES384, jwks.ES512, jwks.HS256, jwks.HS384, jwks.HS512} {
		keys[alg] = testkit.Key(t, alg, "")
	}
	for alg, k := range keys {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			data, err := jwks.MarshalPrivate(k)
			require.NoError(t, err)
			if k.Public().IsSymmetric() {
				text := strings.TrimSuffix(string(data), "\n")
				assert.Equal(t, base64.RawURLEncoding.EncodeToString(k.Private().([]byte)), text)
				assert.NotContains(t, text, "=")
			} else {
				block, rest := pem.Decode(data)
				require.NotNil(t, block)
				assert.Equal(t, "PRIVATE KEY", block.Type)
				assert.Empty(t, rest)
				_, err := x509.ParsePKCS8PrivateKey(block.Bytes)
				require.NoError(t, err, "PKCS #8")
			}
			got, err := jwks.ParsePrivate(data, "", alg)
			require.NoError(t, err)
			assert.Equal(t, k.ID(), got.ID(), "default kid survives the file")
			assert.Equal(t, alg, got.Algorithm())
			equalPrivate(t, k, got)
		})
	}
}

func TestParsePrivateOpenSSLFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		kid  string
		alg  jwks.Algorithm
		want jwks.Algorithm
	}{
		{file: "rsa2048-pkcs1.pem", want: jwks.RS256},
		{file: "rsa2048-pkcs1.pem", alg: jwks.PS256, want: jwks.PS256},
		{file: "p256-sec1.pem", kid: "k1", want: jwks.ES256},
		{file: "ed25519-pkcs8.pem", want: jwks.EdDSA},
	}
	for _, tc := range tests {
		t.Run(tc.file+" "+string(tc.alg), func(t *testing.T) {
			t.Parallel()
			k, err := jwks.ParsePrivate(readTestdata(t, tc.file), tc.kid, tc.alg)
			require.NoError(t, err)
			assert.Equal(t, tc.want, k.Algorithm())
			want := tc.kid
			if want == "" {
				want, err = jwks.Thumbprint(k.Private())
				require.NoError(t, err)
			}
			assert.Equal(t, want, k.ID())
			equalPrivate(t, k, mustSigningKey(t, tc.kid, tc.alg, testdataKey(t, tc.file)))
		})
	}
}

func TestParsePrivateRefuses(t *testing.T) {
	t.Parallel()
	ec := readTestdata(t, "p256-sec1.pem")
	p384, err := jwks.MarshalPrivate(testkit.Key(t, jwks.ES384, ""))
	require.NoError(t, err)
	public := readTestdata(t, "rsa2048-public.pem")
	secret := base64.RawURLEncoding.EncodeToString(secretOf(64))
	corrupt := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not DER")})
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0}})
	tests := []struct {
		name    string
		data    string
		alg     jwks.Algorithm
		wantErr error
	}{
		{"RSA 1024", string(readTestdata(t, "rsa1024-pkcs1.pem")), "", jwks.ErrWeakKey},
		{"encrypted SEC 1", string(readTestdata(t, "p256-encrypted-sec1.pem")), "", jwks.ErrUnsupportedKey},
		{"encrypted PKCS #8", string(readTestdata(t, "p256-encrypted-pkcs8.pem")), "", jwks.ErrUnsupportedKey},
		{"data after the block", string(ec) + "junk\n", "", jwks.ErrMalformed},
		{"two blocks", string(ec) + string(ec), "", jwks.ErrMalformed},
		{"text before the block", "Bag Attributes\n" + string(ec), "", jwks.ErrMalformed},
		{"public key", string(public), "", jwks.ErrUnsupportedKey},
		{"certificate", string(cert), "", jwks.ErrUnsupportedKey},
		{"no END line", strings.SplitAfter(string(ec), "\n")[0] + "MHcCAQEE\n", "", jwks.ErrMalformed},
		{"corrupt DER", string(corrupt), "", jwks.ErrMalformed},
		{"P-384 for ES256", string(p384), jwks.ES256, jwks.ErrKeyMismatch},
		{"alg none", string(ec), "none", jwks.ErrUnsupportedAlgorithm},
		{"secret with padding", base64.URLEncoding.EncodeToString(secretOf(64)), "", jwks.ErrMalformed},
		{"secret in standard base64", base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff}, 32)), "", jwks.ErrMalformed},
		{"secret split over lines", secret[:40] + "\n" + secret[40:], "", jwks.ErrMalformed},
		{"secret with inner space", secret[:40] + " " + secret[40:], "", jwks.ErrMalformed},
		{"secret with non-canonical last bits", nonCanonical(secret), "", jwks.ErrMalformed},
		{"32-byte secret as default HS512", base64.RawURLEncoding.EncodeToString(secretOf(32)), "", jwks.ErrWeakKey},
		{"empty file", "", "", jwks.ErrWeakKey},
		{"blank file", " \n", jwks.HS256, jwks.ErrWeakKey},
		{"secret for ES256", secret, jwks.ES256, jwks.ErrKeyMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwks.ParsePrivate([]byte(tc.data), "", tc.alg)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Nil(t, k)
		})
	}
}

// nonCanonical changes the unused low bits of the last base64url character,
// which a lenient decoder ignores.
func nonCanonical(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i^1])
}

func TestParsePrivateSecretFile(t *testing.T) {
	t.Parallel()
	text := "\n" + base64.RawURLEncoding.EncodeToString(secretOf(64)) + "\r\n"
	k, err := jwks.ParsePrivate([]byte(text), "", "")
	require.NoError(t, err)
	assert.Equal(t, jwks.HS512, k.Algorithm(), "default for a secret file")
	assert.Equal(t, secretOf(64), k.Private())

	k, err = jwks.ParsePrivate([]byte(text), "not-used", jwks.HS256)
	require.NoError(t, err)
	assert.Equal(t, jwks.HS256, k.Algorithm())
	assert.Equal(t, "not-used", k.ID())
}

func TestParsePrivateAcceptsSurroundingWhitespace(t *testing.T) {
	t.Parallel()
	k, err := jwks.ParsePrivate([]byte("\n\n"+string(readTestdata(t, "p256-sec1.pem"))+"\n\n"), "", "")
	require.NoError(t, err)
	assert.Equal(t, jwks.ES256, k.Algorithm())
}

func TestParsePublic(t *testing.T) {
	t.Parallel()
	private := mustSigningKey(t, "", "", rsaKey(t))
	ec := testkit.Key(t, jwks.ES384, "")
	ed := testkit.Key(t, jwks.EdDSA, "")
	ecPEM, err := jwks.MarshalPublic(ec.Public())
	require.NoError(t, err)
	edPEM, err := jwks.MarshalPublic(ed.Public())
	require.NoError(t, err)
	tests := []struct {
		name string
		data []byte
		kid  string
		alg  jwks.Algorithm
		want jwks.Key
	}{
		{name: "PKIX from OpenSSL", data: readTestdata(t, "rsa2048-public.pem"), want: private.Public()},
		{name: "private key file", data: readTestdata(t, "rsa2048-pkcs1.pem"), want: private.Public()},
		{name: "EC round trip", data: ecPEM, want: ec.Public()},
		{name: "Ed25519 round trip", data: edPEM, want: ed.Public()},
		{
			name: "kid and alg given", data: readTestdata(t, "rsa2048-public.pem"), kid: "r1", alg: jwks.PS512,
			want: mustKey(t, "r1", jwks.PS512, private.Public().Material()),
		},
		{
			name: "secret file", data: []byte(base64.RawURLEncoding.EncodeToString(secretOf(64))), kid: "h",
			want: mustKey(t, "h", jwks.HS512, secretOf(64)),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := jwks.ParsePublic(tc.data, tc.kid, tc.alg)
			require.NoError(t, err)
			assert.Equal(t, tc.want.ID(), got.ID())
			assert.Equal(t, tc.want.Algorithm(), got.Algorithm())
			assert.Equal(t, tc.want.Material(), got.Material())
		})
	}
}

func TestParsePublicRefuses(t *testing.T) {
	t.Parallel()
	weak := testdataKey(t, "rsa1024-pkcs1.pem").(*rsa.PrivateKey)
	der, err := x509.MarshalPKIXPublicKey(&weak.PublicKey)
	require.NoError(t, err)
	weakPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	public := readTestdata(t, "rsa2048-public.pem")
	tests := []struct {
		name    string
		data    []byte
		alg     jwks.Algorithm
		wantErr error
	}{
		{"RSA 1024", weakPEM, "", jwks.ErrWeakKey},
		{"two blocks", append(append([]byte(nil), public...), public...), "", jwks.ErrMalformed},
		{"corrupt DER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}), "", jwks.ErrMalformed},
		{"RSA for ES256", public, jwks.ES256, jwks.ErrKeyMismatch},
		{"HS256 on a public key", public, jwks.HS256, jwks.ErrKeyMismatch},
		{"encrypted", readTestdata(t, "p256-encrypted-sec1.pem"), "", jwks.ErrUnsupportedKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwks.ParsePublic(tc.data, "", tc.alg)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Equal(t, jwks.Key{}, k)
		})
	}
}

func TestMarshalPublicRefusesSecrets(t *testing.T) {
	t.Parallel()
	h := mustKey(t, "h", jwks.HS256, secretOf(32))
	for _, k := range []jwks.Key{h, {}} {
		data, err := jwks.MarshalPublic(k)
		require.ErrorIs(t, err, jwks.ErrUnsupportedKey)
		assert.Nil(t, data)
	}
	data, err := jwks.MarshalPrivate(nil)
	require.ErrorIs(t, err, jwks.ErrUnsupportedKey)
	assert.Nil(t, data)
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	tests := []*jwks.SigningKey{testkit.Key(t, jwks.ES256, ""), testkit.Key(t, jwks.HS512, "")}
	for _, k := range tests {
		t.Run(string(k.Algorithm()), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "key")
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))

			require.NoError(t, jwks.WriteSigningKey(path, k))
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), "an existing 0644 file is replaced")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, entries, 1, "no temporary file left")

			got, err := jwks.ReadSigningKey(path, "", k.Algorithm())
			require.NoError(t, err)
			assert.Equal(t, k.ID(), got.ID())
			equalPrivate(t, k, got)
		})
	}
}

func TestWriteFileRefusesAndLeavesNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "key")
	require.ErrorIs(t, jwks.WriteSigningKey(path, nil), jwks.ErrUnsupportedKey)
	_, err := os.Stat(path)
	require.ErrorIs(t, err, fs.ErrNotExist)

	_, err = jwks.ReadSigningKey(path, "", "")
	require.ErrorIs(t, err, fs.ErrNotExist)

	k := testkit.Key(t, jwks.ES256, "")
	require.Error(t, jwks.WriteSigningKey(filepath.Join(t.TempDir(), "missing", "key"), k))
}
