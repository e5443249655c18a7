package jwks_test

import (
	"crypto"
	"crypto/elliptic"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// kmsSigner stands for a key held in a KMS or HSM: a crypto.Signer that is
// none of the standard library's private key types, that signs on request
// and never gives the private key out. It counts signatures, to prove that
// tokens are signed through it; fail makes it refuse, as a KMS outage does.
type kmsSigner struct {
	inner crypto.Signer
	signs atomic.Int64
	fail  atomic.Bool
}

var errKMSDown = errors.New("kms: unavailable")

func (s *kmsSigner) Public() crypto.PublicKey { return s.inner.Public() }

func (s *kmsSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if s.fail.Load() {
		return nil, errKMSDown
	}
	s.signs.Add(1)
	return s.inner.Sign(rand, digest, opts)
}

// A key that is only a crypto.Signer signs tokens, through token.Issuer,
// that this package's verifier and golang-jwt both accept, for every
// asymmetric algorithm family.
func TestSigningKeyThroughCryptoSigner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alg   jwks.Algorithm
		inner crypto.Signer
	}{
		{jwks.ES256, ecKey(t, elliptic.P256())},
		{jwks.ES384, ecKey(t, elliptic.P384())},
		{jwks.ES512, ecKey(t, elliptic.P521())},
		{jwks.RS256, rsaKey(t)},
		{jwks.PS256, rsaKey(t)},
		{jwks.EdDSA, edKey(t)},
	}
	for _, tc := range tests {
		t.Run(string(tc.alg), func(t *testing.T) {
			t.Parallel()
			kms := &kmsSigner{inner: tc.inner}
			key, err := jwks.NewSigningKey("", tc.alg, kms)
			require.NoError(t, err)
			thumb, err := jwks.Thumbprint(tc.inner.Public())
			require.NoError(t, err)
			assert.Equal(t, thumb, key.ID(), "the default kid of the public key")
			assert.Same(t, kms, key.Private(), "signs through the signer, not a copy of the key")

			at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
			now := func() time.Time { return at }
			iss, err := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "iss", Audience: []string{"aud"}, Now: now})
			require.NoError(t, err)
			task := uuid.New()
			raw, err := iss.Execution(task)
			require.NoError(t, err)
			assert.Equal(t, int64(1), kms.signs.Load())

			keys, err := jwks.NewStatic(key.Public())
			require.NoError(t, err)
			v, err := token.NewVerifier(token.VerifierConfig{
				Keys: keys, Issuer: "iss", Audience: []string{"aud"}, Algorithms: []jwks.Algorithm{tc.alg}, Now: now,
			})
			require.NoError(t, err)
			c, err := v.Verify(t.Context(), string(raw))
			require.NoError(t, err)
			assert.Equal(t, task.String(), c.Subject)
			assert.Equal(t, key.ID(), c.KeyID())

			// An independent verifier agrees.
			parsed, err := jwt.Parse(string(raw), func(*jwt.Token) (any, error) { return tc.inner.Public(), nil },
				jwt.WithValidMethods([]string{string(tc.alg)}), jwt.WithTimeFunc(now))
			require.NoError(t, err)
			assert.True(t, parsed.Valid)

			// A KMS that cannot sign makes minting fail; nothing is issued.
			kms.fail.Store(true)
			raw, err = iss.Execution(task)
			require.ErrorIs(t, err, token.ErrNotMinted)
			require.ErrorIs(t, err, errKMSDown)
			assert.Empty(t, raw)
		})
	}
}

// A key that never leaves its KMS cannot be written to a key file: the
// failure says so, and no file is left behind.
func TestCryptoSignerIsNotExported(t *testing.T) {
	t.Parallel()
	key, err := jwks.NewSigningKey("kms-key-1", jwks.ES256, &kmsSigner{inner: ecKey(t, elliptic.P256())})
	require.NoError(t, err)

	pem, err := jwks.MarshalPrivate(key)
	require.ErrorIs(t, err, jwks.ErrNotExportable)
	assert.Nil(t, pem)
	assert.Contains(t, err.Error(), "kms-key-1")

	dir := t.TempDir()
	path := filepath.Join(dir, "kms.pem")
	require.ErrorIs(t, jwks.WriteSigningKey(path, key), jwks.ErrNotExportable)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)

	// Its public half publishes as any other.
	pub, err := jwks.MarshalPublic(key.Public())
	require.NoError(t, err)
	assert.NotEmpty(t, pub)
}
