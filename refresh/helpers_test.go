package refresh_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// t0 is a whole second: minted times are truncated to seconds.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is one server's keys: an issuer named "iss" for audience "aud",
// and a verifier that trusts its key, both on one fake clock.
type fixture struct {
	key      *jwks.SigningKey
	clock    *authtest.Clock
	issuer   *token.Issuer
	verifier *token.Verifier
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{key: testkit.Key(t, jwks.ES256, ""), clock: authtest.NewClock(t0)}
	f.issuer = f.newIssuer(t, "iss", f.key)
	f.verifier = newVerifier(t, "iss", f.clock, f.key.Public())
	return f
}

func (f *fixture) newIssuer(t testing.TB, name string, key *jwks.SigningKey) *token.Issuer {
	t.Helper()
	iss, err := token.NewIssuer(token.IssuerConfig{
		Keys: key, Issuer: name, Audience: []string{"aud"}, Now: f.clock.Now,
	})
	require.NoError(t, err)
	return iss
}

func newVerifier(t testing.TB, name string, c *authtest.Clock, keys ...jwks.Key) *token.Verifier {
	t.Helper()
	st, err := jwks.NewStatic(keys...)
	require.NoError(t, err)
	v, err := token.NewVerifier(token.VerifierConfig{
		Keys: st, Issuer: name, Audience: []string{"aud", "aud2"}, Now: c.Now,
	})
	require.NoError(t, err)
	return v
}

// mint signs claims of class with an explicit iat and lifetime.
func (f *fixture) mint(t testing.TB, class scope.Scope, iat time.Time, life time.Duration) token.Raw {
	t.Helper()
	return mintWith(t, f.issuer, token.Claims{
		Subject: uuid.NewString(), Scope: scope.Set{class}, IssuedAt: iat, ExpiresAt: iat.Add(life),
	})
}

func mintWith(t testing.TB, iss *token.Issuer, c token.Claims) token.Raw {
	t.Helper()
	if c.Subject == "" {
		c.Subject = uuid.NewString()
	}
	raw, err := iss.Mint(c)
	require.NoError(t, err)
	return raw
}

// verify returns the claims of raw as authentication would put them in the
// context, at the fixture's current time.
func (f *fixture) verify(t testing.TB, raw token.Raw) *token.Claims {
	t.Helper()
	c, err := f.verifier.Verify(t.Context(), string(raw))
	require.NoError(t, err)
	return c
}

// authenticate is a minimal stand-in for bearer authentication: it verifies
// the token and puts the claims in the context, or answers 401.
func authenticate(v *token.Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		c, err := v.Verify(r.Context(), raw)
		if !ok || err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(token.NewContext(r.Context(), c)))
	})
}
