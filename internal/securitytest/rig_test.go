package securitytest

// The shared rig of the suites: a verifier, an issuer and a route behind
// middleware.Authenticate and the reissue middleware, with the exact
// rejections a request can get. The suites live in the files beside it, one
// a section of SECURITY.md.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

const (
	issuerName = "https://scheduler.example"
	audience   = "execution-api"
	taskID     = "0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d"
	// canary marks kids and claim values of hostile input: it must never
	// reach a response or a log line.
	canary = "c4nary"
)

// t0 is where every rig's clock starts.
var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// rigOpts varies a rig; the zero value is an ES256 key "k1" that the verifier
// trusts and the issuer holds, on a route that accepts execution tokens.
type rigOpts struct {
	clock   *authtest.Clock               // shared with other parts; nil: a new one at t0
	key     *jwks.SigningKey              // k1, made beforehand; nil: a new one
	trust   []jwks.Key                    // more verification keys beside k1
	keys    jwks.Lookup                   // replaces the Static of k1 and trust
	signing jwks.SigningKeys              // replaces k1 as the issuer's keys
	verify  func(*token.VerifierConfig)   // edits the verifier's config
	classes []scope.Scope                 // the route's classes; nil: execution
	reissue func(*refresh.ReissuerConfig) // edits the reissuer's config
	auth    func(*middleware.Config)      // edits Authenticate's config
}

// rig is a verifier, an issuer and a route behind Authenticate and the
// reissue middleware, sharing one fake clock.
type rig struct {
	clock   *authtest.Clock
	key     *jwks.SigningKey
	issuer  *token.Issuer
	v       *token.Verifier
	re      *refresh.Reissuer
	lookups atomic.Int64 // key lookups made by v
	called  atomic.Int64 // requests that reached the handler
	logs    *testkit.Buffer
	h       http.Handler
	status  atomic.Int64 // the status the handler answers; 0: 200
}

func newRig(t testing.TB, o rigOpts) *rig {
	t.Helper()
	r := &rig{clock: o.clock, key: o.key, logs: &testkit.Buffer{}}
	if r.clock == nil {
		r.clock = authtest.NewClock(t0)
	}
	if r.key == nil {
		r.key = testkit.Key(t, jwks.ES256, "k1")
	}
	keys := o.keys
	if keys == nil {
		st, err := jwks.NewStatic(append([]jwks.Key{r.key.Public()}, o.trust...)...)
		require.NoError(t, err)
		keys = st
	}
	var signing jwks.SigningKeys = r.key
	if o.signing != nil {
		signing = o.signing
	}
	var err error
	r.issuer, err = token.NewIssuer(token.IssuerConfig{Keys: signing, Issuer: issuerName, Audience: []string{audience}, Now: r.clock.Now})
	require.NoError(t, err)
	vc := token.VerifierConfig{Keys: &countingLookup{inner: keys, n: &r.lookups}, Issuer: issuerName, Audience: []string{audience}, Now: r.clock.Now}
	if o.verify != nil {
		o.verify(&vc)
	}
	r.v, err = token.NewVerifier(vc)
	require.NoError(t, err)
	lg := r.logs.Logger()
	rc := refresh.ReissuerConfig{Issuer: r.issuer, Logger: lg, Now: r.clock.Now}
	if o.reissue != nil {
		o.reissue(&rc)
	}
	r.re, err = refresh.NewReissuer(rc)
	require.NoError(t, err)
	mc := middleware.Config{Verifier: r.v, Classes: o.classes, Logger: lg}
	if o.auth != nil {
		o.auth(&mc)
	}
	auth := middleware.Authenticate(mc)
	r.h = auth(r.re.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.called.Add(1)
		status := int(r.status.Load())
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
	})))
	return r
}

// countingLookup counts key lookups and passes on Generation, so that the
// verified-token cache still sees key changes.
type countingLookup struct {
	inner jwks.Lookup
	n     *atomic.Int64
}

func (c *countingLookup) LookupKey(ctx context.Context, kid string, alg jwks.Algorithm) (jwks.Key, error) {
	c.n.Add(1)
	return c.inner.LookupKey(ctx, kid, alg)
}

func (c *countingLookup) Generation() uint64 {
	if g, ok := c.inner.(interface{ Generation() uint64 }); ok {
		return g.Generation()
	}
	return 0
}

// claims returns a valid execution claims set as JSON text at the rig's
// clock: members in set replace the defaults (nil removes one; a
// json.RawMessage is written verbatim), and extra is appended verbatim, so that rows can write what encoding/json would not
// (duplicate names, invalid UTF-8).
func (r *rig) claims(t testing.TB, set map[string]any, extra string) string {
	t.Helper()
	now := r.clock.Now()
	members := []struct {
		name  string
		value any
	}{
		{"iss", issuerName}, {"sub", taskID}, {"aud", audience}, {"iat", now.Unix()}, {"nbf", now.Unix()},
		{"exp", now.Add(5 * time.Minute).Unix()}, {"jti", "6f1c0e2f9a7b4d0c8e3a5b2d1f4e6a7c"}, {"scope", "execution"},
	}
	var b strings.Builder
	b.WriteByte('{')
	for _, m := range members {
		v := m.value
		if repl, ok := set[m.name]; ok {
			if v = repl; v == nil {
				continue
			}
		}
		text, verbatim := v.(json.RawMessage) // written as is, even if invalid
		if !verbatim {
			var err error
			text, err = json.Marshal(v)
			require.NoError(t, err)
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + m.name + `":` + string(text))
	}
	b.WriteString(extra + "}")
	return b.String()
}

// token signs claims with k1 under a valid ES256 header.
func (r *rig) token(t testing.TB, set map[string]any, extra string) string {
	t.Helper()
	return testkit.Sign(t, r.key, testkit.Header("ES256", "k1", ""), r.claims(t, set, extra))
}

// request returns a request to the rig's route with an Authorization field
// per value given.
func request(authorization ...string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/task-instances/"+taskID+"/heartbeat", nil)
	for _, v := range authorization {
		req.Header.Add("Authorization", v)
	}
	return req
}

// serve runs req through the rig's route.
func (r *rig) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	return rec
}

// rejection is the exact response to a rejected request.
type rejection struct {
	status     int
	challenge  string // WWW-Authenticate; "" for none
	body       string
	retryAfter string // Retry-After; "" for none
}

// Responses by cause, as the README's "What is rejected, and how" lists them
// (RFC 6750 §3).
var (
	rejectToken       = rejection{401, `Bearer realm="execution-api", error="invalid_token"`, `{"detail":"Invalid token"}`, ""}
	rejectRequest     = rejection{400, `Bearer realm="execution-api", error="invalid_request"`, `{"detail":"Malformed credentials"}`, ""}
	rejectNoCreds     = rejection{401, `Bearer realm="execution-api"`, `{"detail":"Not authenticated"}`, ""}
	rejectClass       = rejection{403, `Bearer realm="execution-api", error="insufficient_scope", scope="execution"`, `{"detail":"Insufficient scope"}`, ""}
	rejectUnavailable = rejection{503, "", `{"detail":"Authentication temporarily unavailable"}`, "5"}
	rejectInternal    = rejection{500, "", `{"detail":"Internal server error"}`, ""}
)

// responseFor is the response Authenticate gives for a token that Verify
// rejects with err.
func responseFor(err error) rejection {
	if errors.Is(err, token.ErrUnavailable) {
		return rejectUnavailable
	}
	return rejectToken
}

// reject asserts that raw fails Verify with wantErr and no claims, and that
// the route answers it with the matching exact response: a raw token that is
// not one b64token never gets to the verifier (400 invalid_request).
func (r *rig) reject(t *testing.T, raw string, wantErr error) {
	t.Helper()
	c, err := r.v.Verify(t.Context(), raw)
	require.ErrorIs(t, err, wantErr)
	assert.Nil(t, c, "claims returned alongside an error")
	want := responseFor(wantErr)
	if !b64token(raw) {
		want = rejectRequest
	}
	r.expect(t, request("Bearer "+raw), want, raw)
}

// b64token reports whether s is 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
// "+" / "/" ) *"=" (RFC 6750 §2.1).
func b64token(s string) bool {
	body := strings.TrimRight(s, "=")
	return body != "" && strings.Trim(body, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") == ""
}

// expect asserts the exact rejection of req: status, challenge, body,
// Cache-Control, the handler not called, no reissued token, and nothing of
// the hostile input (secrets: the raw token, kids, claim values, besides
// the canary) in the response or the logs.
func (r *rig) expect(t *testing.T, req *http.Request, want rejection, secrets ...string) {
	t.Helper()
	before := r.called.Load()
	rec := r.serve(req)
	res := rec.Result()
	assert.Equal(t, want.status, res.StatusCode, "status")
	assert.Equal(t, want.challenge, res.Header.Get("WWW-Authenticate"), "WWW-Authenticate")
	assert.Len(t, res.Header.Values("WWW-Authenticate"), min(1, len(want.challenge)))
	assert.Equal(t, want.retryAfter, res.Header.Get("Retry-After"), "Retry-After")
	assert.Equal(t, want.body, rec.Body.String(), "body")
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.Empty(t, res.Header.Values(refresh.DefaultHeader), "a rejection carries a token")
	assert.Equal(t, before, r.called.Load(), "the handler ran")
	r.assertNoLeak(t, rec, secrets...)
}

// assertNoLeak checks that the response and the logs hold neither the canary
// nor any of secrets (those shorter than 12 bytes could match by chance and
// are skipped).
func (r *rig) assertNoLeak(t *testing.T, rec *httptest.ResponseRecorder, secrets ...string) {
	t.Helper()
	var headers strings.Builder
	require.NoError(t, rec.Result().Header.Write(&headers))
	logs := r.logs.String()
	for _, s := range append(secrets, canary) {
		if len(s) < 12 && s != canary {
			continue
		}
		for where, text := range map[string]string{"headers": headers.String(), "body": rec.Body.String(), "logs": logs} {
			assert.NotContains(t, text, s, "hostile input echoed in %s", where)
		}
	}
}

// accept asserts that raw verifies and that the route lets it through.
func (r *rig) accept(t *testing.T, raw string) *token.Claims {
	t.Helper()
	c, err := r.v.Verify(t.Context(), raw)
	require.NoError(t, err)
	before := r.called.Load()
	rec := r.serve(request("Bearer " + raw))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, before+1, r.called.Load(), "the handler did not run")
	return c
}
