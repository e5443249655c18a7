package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
)

// now is the frozen clock of every test in this package.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

const (
	testIssuer   = "https://scheduler.example"
	testAudience = "execution-api"
	testTask     = "0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d"
)

// fixture is a key, a verifier trusting it and an issuer minting with it.
type fixture struct {
	key *jwks.SigningKey
	v   *Verifier
	iss *Issuer
}

func newFixture(t testing.TB, alg jwks.Algorithm, edit func(*VerifierConfig)) fixture {
	t.Helper()
	key := testkit.Key(t, alg, "k1")
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

// signInput signs an exact signing input (header "." payload, as text) and
// returns the encoded signature.
func (f fixture) signInput(t testing.TB, input string) string {
	t.Helper()
	sig, err := f.key.Sign(input)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(sig)
}

// bigToken mints an execution token with 20 host claims and 10 audiences.
func bigToken(t testing.TB, f fixture) string {
	t.Helper()
	c := Claims{Subject: uuid.NewString(), Scope: scope.Set{scope.Execution}}
	for i := range 10 {
		c.Audience = append(c.Audience, fmt.Sprintf("other-api-%d", i))
	}
	c.Audience[9] = testAudience
	for i := range 20 {
		require.NoError(t, c.SetExtra(fmt.Sprintf("claim_%02d", i), json.RawMessage(fmt.Sprintf(`"value-%02d"`, i))))
	}
	raw, err := f.iss.Mint(c)
	require.NoError(t, err)
	return string(raw)
}
