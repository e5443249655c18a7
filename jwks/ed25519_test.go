package jwks_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// smallOrderPoints are the canonical encodings of the eight points of
// edwards25519 whose order divides 8, as published in "Taming the many
// EdDSAs" (Chalkias, Garillot, Nikolaenko, SSR 2020) and used by libsodium.
var smallOrderPoints = []string{
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}

func fromHex(t testing.TB, s string) ed25519.PublicKey {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	require.Len(t, b, ed25519.PublicKeySize)
	return b
}

// nonCanonicalEd25519 are the encodings RFC 8032 §5.1.3 refuses: y = p + i for
// i in 0..18 (y >= p, step 1), with either sign bit, and x = 0 with the
// sign bit set (y = 1 and y = p - 1, step 4).
func nonCanonicalEd25519(t testing.TB) []ed25519.PublicKey {
	t.Helper()
	var out []ed25519.PublicKey
	for i := range 19 {
		for _, sign := range []byte{0, 0x80} {
			k := make(ed25519.PublicKey, 32)
			k[0] = 0xed + byte(i) // p = 2^255 - 19: 0xed, then 0xff…, then 0x7f
			for j := 1; j < 31; j++ {
				k[j] = 0xff
			}
			k[31] = 0x7f | sign
			out = append(out, k)
		}
	}
	for _, s := range []string{smallOrderPoints[0], smallOrderPoints[1]} {
		k := fromHex(t, s)
		k[31] |= 0x80
		out = append(out, k)
	}
	return out
}

// forgery is the signature R = identity, S = 0.
func forgery() []byte {
	sig := make([]byte, ed25519.SignatureSize)
	sig[0] = 1 // the identity encodes as y = 1
	return sig
}

// forges reports whether the signature R = identity, S = 0 verifies some
// message under pub with crypto/ed25519: it does exactly when [k]A is the
// identity for k = H(R, A, M), which for a message out of 256 happens only
// when A has small order.
func forges(pub ed25519.PublicKey) bool {
	for i := range 256 {
		if ed25519.Verify(pub, fmt.Appendf(nil, "message %d", i), forgery()) {
			return true
		}
	}
	return false
}

// TestEd25519SmallOrderKeysRefused: each listed point forges signatures
// (which shows it has small order) and is refused as a key.
func TestEd25519SmallOrderKeysRefused(t *testing.T) {
	t.Parallel()
	good, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	require.False(t, forges(good), "a real key does not forge")
	_, err = jwks.NewKey("", jwks.EdDSA, good)
	require.NoError(t, err)

	seen := map[string]bool{}
	for _, s := range smallOrderPoints {
		t.Run(s[:8], func(t *testing.T) {
			pub := fromHex(t, s)
			require.True(t, forges(pub), "the point verifies a forgery, so it has small order")
			assert.False(t, seen[s])
			seen[s] = true
			_, err := jwks.NewKey("", jwks.EdDSA, pub)
			assert.ErrorIs(t, err, jwks.ErrWeakKey)
			_, err = jwks.NewKey("k", "", pub) // alg derived
			assert.ErrorIs(t, err, jwks.ErrWeakKey)
		})
	}
}

// TestEd25519NonCanonicalKeysRefused: crypto/ed25519 reads y mod p, so a
// non-canonical encoding of the identity forges like the identity itself.
func TestEd25519NonCanonicalKeysRefused(t *testing.T) {
	t.Parallel()
	keys := nonCanonicalEd25519(t)
	require.Len(t, keys, 40)
	require.True(t, forges(keys[2]), "y = p + 1 is the identity to crypto/ed25519")
	for _, pub := range keys {
		t.Run(hex.EncodeToString(pub[:1])+hex.EncodeToString(pub[31:]), func(t *testing.T) {
			_, err := jwks.NewKey("", jwks.EdDSA, pub)
			assert.ErrorIs(t, err, jwks.ErrUnsupportedKey)
		})
	}
}

// smallOrderSigner is a crypto.Signer (a KMS key, say) whose public key
// is the identity point.
type smallOrderSigner struct{ pub ed25519.PublicKey }

func (s smallOrderSigner) Public() crypto.PublicKey { return s.pub }

func (smallOrderSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return forgery(), nil
}

// TestEd25519SmallOrderEveryEntry: the identity key is refused wherever a
// key enters — a JWK, a JWK Set (the key is skipped, the rest kept), a PEM
// public key, a crypto.Signer — so the forged processor token it would
// verify is refused with an unknown key.
func TestEd25519SmallOrderEveryEntry(t *testing.T) {
	t.Parallel()
	identity := fromHex(t, smallOrderPoints[0])
	x := base64.RawURLEncoding.EncodeToString(identity)
	jwk := fmt.Sprintf(`{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":"evil","x":%q}`, x)

	_, err := jwks.ParseKey([]byte(jwk))
	require.ErrorIs(t, err, jwks.ErrWeakKey, "JWK")

	real := testkit.Key(t, jwks.EdDSA, "real")
	realJWK, err := real.Public().MarshalJSON()
	require.NoError(t, err)
	keys, skipped, err := jwks.ParseSet([]byte(`{"keys":[` + jwk + `,` + string(realJWK) + `]}`))
	require.NoError(t, err)
	require.Len(t, skipped, 1, "JWK Set")
	assert.ErrorIs(t, skipped[0], jwks.ErrWeakKey)
	require.Len(t, keys, 1)
	assert.Equal(t, "real", keys[0].ID())

	der, err := x509.MarshalPKIXPublicKey(identity)
	require.NoError(t, err)
	_, err = jwks.ParsePublic(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), "evil", "")
	require.ErrorIs(t, err, jwks.ErrWeakKey, "PEM")

	_, err = jwks.NewSigningKey("evil", jwks.EdDSA, smallOrderSigner{identity})
	require.ErrorIs(t, err, jwks.ErrWeakKey, "crypto.Signer")

	// The forgery: a processor token for kid "evil" with R = identity, S = 0.
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	b64 := base64.RawURLEncoding
	header := b64.EncodeToString([]byte(`{"alg":"EdDSA","kid":"evil","typ":"JWT"}`))
	payload := b64.EncodeToString(fmt.Appendf(nil,
		`{"iss":"iss","sub":"dag-processor","aud":"aud","iat":%d,"exp":%d,"jti":"0123456789abcdef0123456789abcdef","scope":"processor"}`,
		now.Unix(), now.Add(time.Hour).Unix()))
	forged := header + "." + payload + "." + b64.EncodeToString(forgery())
	require.True(t, ed25519.Verify(identity, []byte(header+"."+payload), forgery()),
		"crypto/ed25519 accepts the forgery under the identity key")

	st, err := jwks.NewStatic(keys...)
	require.NoError(t, err)
	v, err := token.NewVerifier(token.VerifierConfig{
		Keys: st, Issuer: "iss", Audience: []string{"aud"}, Now: func() time.Time { return now },
	})
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), forged)
	require.ErrorIs(t, err, token.ErrUnknownKey)
}
