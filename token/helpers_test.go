package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

// now is the frozen clock of every test in this package.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

const (
	testIssuer   = "https://scheduler.example"
	testAudience = "execution-api"
	testTask     = "0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d"
)

// newKey returns a signing key for alg with a fixed kid.
func newKey(t testing.TB, alg jwks.Algorithm, kid string) *jwks.SigningKey {
	t.Helper()
	var priv any
	var err error
	switch alg {
	case jwks.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jwks.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jwks.ES512:
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case jwks.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case jwks.RS256, jwks.RS384, jwks.RS512, jwks.PS256, jwks.PS384, jwks.PS512:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jwks.HS256, jwks.HS384, jwks.HS512:
		b := make([]byte, 64)
		_, err = rand.Read(b)
		priv = b
	}
	require.NoError(t, err)
	k, err := jwks.NewSigningKey(kid, alg, priv)
	require.NoError(t, err)
	return k
}

// fixture is a key, a verifier trusting it and an issuer minting with it.
type fixture struct {
	key *jwks.SigningKey
	v   *Verifier
	iss *Issuer
}

func newFixture(t testing.TB, alg jwks.Algorithm, edit func(*VerifierConfig)) fixture {
	t.Helper()
	key := newKey(t, alg, "k1")
	keys, err := jwks.NewStatic(key.Public())
	require.NoError(t, err)
	cfg := VerifierConfig{
		Keys: keys, Issuer: testIssuer, Audience: []string{testAudience},
		Algorithms: []jwks.Algorithm{alg}, Now: clock,
	}
	if edit != nil {
		edit(&cfg)
	}
	v, err := NewVerifier(cfg)
	require.NoError(t, err)
	iss, err := NewIssuer(IssuerConfig{Keys: key, Issuer: testIssuer, Audience: []string{testAudience}, Now: clock})
	require.NoError(t, err)
	return fixture{key: key, v: v, iss: iss}
}

// absent marks a claim to delete in validClaims.
type absentT struct{}

var absent absentT

// validClaims returns the JSON of a valid execution-token claims set with
// edits applied (absent deletes a claim).
func validClaims(t testing.TB, edits map[string]any) string {
	t.Helper()
	c := map[string]any{
		"iss": testIssuer, "sub": testTask, "aud": testAudience,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"jti": "6f1c0e2f9a7b4d0c8e3a5b2d1f4e6a7c", "scope": "execution",
	}
	for k, v := range edits {
		if v == absent {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	b, err := json.Marshal(maps.Clone(c))
	require.NoError(t, err)
	return string(b)
}

const validHeaderES256 = `{"alg":"ES256","kid":"k1","typ":"JWT"}`

// signed signs exact header and payload bytes with f's key.
func (f fixture) signed(t testing.TB, header, payload string) string {
	t.Helper()
	raw, err := signParts([]byte(header), []byte(payload), f.key)
	require.NoError(t, err)
	return string(raw)
}

// verify runs Verify and checks the invariant that claims never come back
// with an error.
func (f fixture) verify(t testing.TB, raw string) (*Claims, error) {
	t.Helper()
	c, err := f.v.Verify(context.Background(), raw)
	if err != nil {
		require.Nil(t, c, "claims returned alongside an error")
	}
	return c, err
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// signInput signs an exact signing input (header "." payload, as text) and
// returns the encoded signature.
func (f fixture) signInput(t testing.TB, input string) string {
	t.Helper()
	sig, err := f.key.Sign(input)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(sig)
}

// pssWithSalt signs header.payload with RSA-PSS SHA-256 and a given salt length.
func pssWithSalt(t testing.TB, key any, header, payload string, salt int) string {
	t.Helper()
	input := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: salt})
	require.NoError(t, err)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}
