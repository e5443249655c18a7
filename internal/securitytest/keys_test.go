package securitytest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

func mustKey(t testing.TB, kid string, alg jwks.Algorithm, key any) jwks.Key {
	t.Helper()
	k, err := jwks.NewKey(kid, alg, key)
	require.NoError(t, err)
	return k
}

// SECURITY.md "Algorithms and keys", tokens: a verifier trusting several
// keys of different algorithms, each bound to one. The unit tables are
// TestVerifyHeader, TestVerifyAlgorithmBinding, TestVerifyPSSSaltLength and
// TestVerifyNeverFollowsHeaderKeys in package token; the rows here are the
// cases they do not hold, each with its exact response and no echo.
func TestAttackAlgorithmsAndKeys(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	secret := make([]byte, 32)
	_, err = rand.Read(secret)
	require.NoError(t, err)
	k2 := testkit.Key(t, jwks.ES256, "k2")
	r := newRig(t, rigOpts{
		trust: []jwks.Key{
			mustKey(t, "rsa", "", &rsaKey.PublicKey), mustKey(t, "pss", "PS256", &rsaKey.PublicKey),
			mustKey(t, "p384", "", &p384.PublicKey), mustKey(t, "hs", "HS256", secret), k2.Public(),
		},
		verify: func(c *token.VerifierConfig) {
			c.Algorithms = []jwks.Algorithm{"ES256", "ES384", "RS256", "RS384", "PS256", "HS256", "EdDSA"}
		},
	})
	claims := r.claims(t, nil, "")
	withAlg := func(alg, kid, extra string, signAs jwks.Algorithm, key any) string {
		input := testkit.B64(testkit.Header(alg, kid, extra)) + "." + testkit.B64(claims)
		return input + "." + testkit.SignInput(t, signAs, key, input)
	}
	k1DER, err := x509.MarshalPKIXPublicKey(r.key.Public().Material())
	require.NoError(t, err)

	// A key server an attacker controls: any request to it is a failure.
	var hits atomic.Int64
	attacker := testkit.Key(t, jwks.ES256, "atk")
	attackerSet, err := jwks.MarshalSet(attacker.Public())
	require.NoError(t, err)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write(attackerSet)
	}))
	t.Cleanup(evil.Close)
	attackerJWK, err := attacker.Public().MarshalJSON()
	require.NoError(t, err)

	tests := []struct {
		name     string
		raw      string
		wantErr  error
		lookedUp bool
	}{
		// Allow-list never empty and never `none`
		{"alg none, empty signature", testkit.B64(testkit.Header("none", "k1", "")) + "." + testkit.B64(claims) + ".", token.ErrMalformed, false},
		// A token whose `alg` differs from its key's algorithm is rejected.
		{"RS384 under the RS256 key", withAlg("RS384", "rsa", "", "RS384", rsaKey), token.ErrAlgorithm, true},
		{"RS256 under the PS256 key", withAlg("RS256", "pss", "", "RS256", rsaKey), token.ErrAlgorithm, true},
		{"HS256 keyed with k1's public key", withAlg("HS256", "k1", "", "HS256", k1DER), token.ErrAlgorithm, true},
		{"HS256 naming the ES256 key", withAlg("HS256", "k1", "", "HS256", secret), token.ErrAlgorithm, true},
		{"EdDSA naming the ES256 key", withAlg("EdDSA", "k1", "", "ES256", r.key.Private()), token.ErrAlgorithm, true},
		// ES curve must match the alg.
		{"ES384 naming the P-256 key", withAlg("ES384", "k1", "", "ES256", r.key.Private()), token.ErrAlgorithm, true},
		{"ES256 naming the P-384 key", withAlg("ES256", "p384", "", "ES384", p384), token.ErrAlgorithm, true},
		// PS* off unless enabled, and then with the salt length equal to the hash size.
		{"PS256 salt 20", testkit.SignPSS(t, rsaKey, testkit.Header("PS256", "pss", ""), claims, 20), token.ErrSignature, true},
		{"PS256 maximal salt", testkit.SignPSS(t, rsaKey, testkit.Header("PS256", "pss", ""), claims, rsa.PSSSaltLengthAuto), token.ErrSignature, true},
		// `kid`: a string, 1–256 printable bytes
		{"kid 256 bytes, unknown", withAlg("ES256", strings.Repeat("k", 256), "", "ES256", r.key.Private()), token.ErrUnknownKey, true},
		{"kid with a control character", withAlg("ES256", canary+`\u0007`, "", "ES256", r.key.Private()), token.ErrMalformed, false},
		{"kid with DEL", withAlg("ES256", canary+"\x7f", "", "ES256", r.key.Private()), token.ErrMalformed, false},
		{"kid non-ASCII", withAlg("ES256", canary+"é", "", "ES256", r.key.Private()), token.ErrMalformed, false},
		{"kid unknown", withAlg("ES256", canary, "", "ES256", r.key.Private()), token.ErrUnknownKey, true},
		// `jku`, `x5u`, `jwk`, `x5c` are never fetched or trusted
		{"jku to the attacker's set", testkit.Sign(t, attacker, testkit.Header("ES256", "atk", `,"jku":"`+evil.URL+`"`), claims), token.ErrUnknownKey, true},
		{"x5u to the attacker", testkit.Sign(t, attacker, testkit.Header("ES256", "atk", `,"x5u":"`+evil.URL+`"`), claims), token.ErrUnknownKey, true},
		{"embedded jwk, k1's kid", testkit.Sign(t, attacker, testkit.Header("ES256", "k1", `,"jwk":`+string(attackerJWK)), claims), token.ErrSignature, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := r.lookups.Load()
			r.reject(t, tc.raw, tc.wantErr)
			assert.Equal(t, tc.lookedUp, r.lookups.Load() > before, "key lookup reached")
		})
	}
	assert.Zero(t, hits.Load(), "a URL in a token header was fetched")

	t.Run("controls", func(t *testing.T) {
		r.accept(t, withAlg("RS256", "rsa", "", "RS256", rsaKey))
		r.accept(t, withAlg("ES384", "p384", "", "ES384", p384))
		r.accept(t, withAlg("HS256", "hs", "", "HS256", secret))
		r.accept(t, testkit.SignPSS(t, rsaKey, testkit.Header("PS256", "pss", ""), claims, rsa.PSSSaltLengthEqualsHash))
		r.accept(t, testkit.Sign(t, k2, testkit.Header("ES256", "k2", ""), claims))
		single := newRig(t, rigOpts{})
		single.accept(t, testkit.Sign(t, single.key, testkit.Header("ES256", "", ""), single.claims(t, nil, "")))
	})
	// PS* off unless enabled
	t.Run("PS256 off by default", func(t *testing.T) {
		def := newRig(t, rigOpts{trust: []jwks.Key{mustKey(t, "pss", "PS256", &rsaKey.PublicKey)}})
		def.reject(t, testkit.SignPSS(t, rsaKey, testkit.Header("PS256", "pss", ""), def.claims(t, nil, ""), rsa.PSSSaltLengthEqualsHash), token.ErrAlgorithm)
	})
}

// SECURITY.md "Algorithms and keys", construction: what can never be
// configured.
func TestAttackKeyConstruction(t *testing.T) {
	t.Parallel()
	gen := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		return k
	}
	p256, p384, p521 := gen(elliptic.P256()), gen(elliptic.P384()), gen(elliptic.P521())
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)

	// each key bound to exactly one algorithm (JWK `alg`, else derived:
	// RSA→RS256, P-256→ES256, P-384→ES384, P-521→ES512, Ed25519→EdDSA)
	for _, d := range []struct {
		key  any
		want jwks.Algorithm
	}{
		{&rsa2048.PublicKey, "RS256"}, {&p256.PublicKey, "ES256"}, {&p384.PublicKey, "ES384"},
		{&p521.PublicKey, "ES512"}, {edPub, "EdDSA"},
	} {
		assert.Equal(t, d.want, mustKey(t, "", "", d.key).Algorithm())
	}

	tests := []struct {
		name    string
		build   func() error
		wantErr error
	}{
		// Allow-list never empty and never `none`
		{"allow-list none", verifierWith([]jwks.Algorithm{"none"}), token.ErrConfig},
		{"allow-list with none", verifierWith([]jwks.Algorithm{"ES256", "none"}), token.ErrConfig},
		{"allow-list unknown alg", verifierWith([]jwks.Algorithm{"ES256K"}), token.ErrConfig},
		{"key bound to none", newKey("none", &p256.PublicKey), jwks.ErrUnsupportedAlgorithm},
		// ES curve must match the alg.
		{"P-256 bound to ES384", newKey("ES384", &p256.PublicKey), jwks.ErrKeyMismatch},
		{"P-384 bound to ES256", newKey("ES256", &p384.PublicKey), jwks.ErrKeyMismatch},
		{"EC key bound to HS256", newKey("HS256", &p256.PublicKey), jwks.ErrKeyMismatch},
		// RSA ≥ 2048 bits.
		{"RSA 1024 verification key", newKey("RS256", &rsa1024.PublicKey), jwks.ErrWeakKey},
		{"RSA 1024 signing key", newSigningKey("RS256", rsa1024), jwks.ErrWeakKey},
		// HMAC key ≥ the hash size (32/48/64 bytes) for both signing and verifying.
		{"HS256 31-byte verification key", newKey("HS256", make([]byte, 31)), jwks.ErrWeakKey},
		{"HS256 31-byte signing key", newSigningKey("HS256", make([]byte, 31)), jwks.ErrWeakKey},
		{"HS384 47 bytes", newKey("HS384", make([]byte, 47)), jwks.ErrWeakKey},
		{"HS512 63 bytes", newSigningKey("HS512", make([]byte, 63)), jwks.ErrWeakKey},
		{"empty HMAC key", newKey("HS256", []byte{}), jwks.ErrWeakKey},
		// HMAC is never accepted through a remote JWKS (`oct` keys are dropped at load).
		{"oct JWK", func() error {
			_, err := jwks.ParseKey([]byte(`{"kty":"oct","alg":"HS256","kid":"h","k":"` + testkit.B64(strings.Repeat("s", 32)) + `"}`))
			return err
		}, jwks.ErrUnsupportedKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.build(), tc.wantErr)
		})
	}
	t.Run("default allow-list", func(t *testing.T) {
		algs := jwks.DefaultAlgorithms()
		require.NotEmpty(t, algs)
		for _, a := range algs {
			assert.False(t, a == "none" || strings.HasPrefix(string(a), "HS") || strings.HasPrefix(string(a), "PS"), "default allows %s", a)
		}
		assert.True(t, slices.Contains(algs, "ES256"))
	})
}

func verifierWith(algs []jwks.Algorithm) func() error {
	return func() error {
		st, err := jwks.NewStatic()
		if err != nil {
			return err
		}
		_, err = token.NewVerifier(token.VerifierConfig{Keys: st, Issuer: issuerName, Audience: []string{audience}, Algorithms: algs})
		return err
	}
}

func newKey(alg jwks.Algorithm, key any) func() error {
	return func() error { _, err := jwks.NewKey("x", alg, key); return err }
}

func newSigningKey(alg jwks.Algorithm, key any) func() error {
	return func() error { _, err := jwks.NewSigningKey("x", alg, key); return err }
}
