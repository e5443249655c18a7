package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// Distinctive values, so that a leak into a response or a log is easy to find.
const (
	testIssuer = "https://issuer.zq9.example"
	testAud    = "aud-zq9-api"
	testKID    = "kid-zq9-main"
)

var (
	now   = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	taskA = uuid.MustParse("7d1e4c2a-9b3f-4e8d-a6c5-1f2e3d4c5b6a")
	taskB = uuid.MustParse("c3b2a190-8f7e-4d6c-b5a4-938271605f4e")
)

func clock() time.Time { return now }

// fixture is an issuer and a verifier sharing one key and the frozen clock.
type fixture struct {
	issuer   *token.Issuer
	verifier *token.Verifier
}

func newFixture(t testing.TB, sk *jwks.SigningKey) fixture {
	t.Helper()
	iss, err := token.NewIssuer(token.IssuerConfig{Keys: sk, Issuer: testIssuer, Audience: []string{testAud}, Now: clock})
	require.NoError(t, err)
	st, err := jwks.NewStatic(sk.Public())
	require.NoError(t, err)
	return fixture{issuer: iss, verifier: newVerifier(t, st, sk.Algorithm())}
}

// newVerifier returns a verifier of keys; algs replaces the default
// allow-list (an HMAC key needs its algorithm listed).
func newVerifier(t testing.TB, keys jwks.Lookup, algs ...jwks.Algorithm) *token.Verifier {
	t.Helper()
	v, err := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: testIssuer, Audience: []string{testAud}, Algorithms: algs, Now: clock})
	require.NoError(t, err)
	return v
}

// mint signs c and returns the token text.
func (f fixture) mint(t testing.TB, c token.Claims) string {
	t.Helper()
	raw, err := f.issuer.Mint(c)
	require.NoError(t, err)
	return string(raw)
}

func (f fixture) workload(t testing.TB, id uuid.UUID) string {
	return f.mint(t, token.Claims{Subject: id.String(), Scope: scope.Set{scope.Workload}})
}

func (f fixture) execution(t testing.TB, id uuid.UUID) string {
	return f.mint(t, token.Claims{Subject: id.String(), Scope: scope.Set{scope.Execution}})
}

func (f fixture) processor(t testing.TB) string {
	return f.mint(t, token.Claims{Subject: "dag-processor", Scope: scope.Set{scope.Processor}})
}

// counter is a next handler that counts its calls and answers 200 "ok" when
// it finds claims in the context.
type counter struct{ n atomic.Int64 }

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	if _, ok := token.FromContext(r.Context()); !ok {
		w.WriteHeader(http.StatusTeapot)
		return
	}
	_, _ = w.Write([]byte("ok"))
}

// get sends GET target with the given Authorization fields through h.
func get(h http.Handler, target string, authorization ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, a := range authorization {
		r.Header.Add("Authorization", a)
	}
	return serve(h, r)
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func bearer(tok string) string { return "Bearer " + tok }
