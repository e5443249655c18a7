package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// golden is the exact response expected for a rejection.
type golden struct {
	status     int
	challenge  string // WWW-Authenticate; "" means absent
	retryAfter string // "" means absent
	body       string
}

var (
	noCreds = golden{401, `Bearer realm="execution-api"`, "", `{"detail":"Not authenticated"}`}
	badReq  = golden{400, `Bearer realm="execution-api", error="invalid_request"`, "", `{"detail":"Malformed credentials"}`}
	badTok  = golden{401, `Bearer realm="execution-api", error="invalid_token"`, "", `{"detail":"Invalid token"}`}
	noKeys  = golden{503, "", "5", `{"detail":"Authentication temporarily unavailable"}`}
	onlyExe = golden{403, `Bearer realm="execution-api", error="insufficient_scope", scope="execution"`, "", `{"detail":"Insufficient scope"}`}
	notSelf = golden{403, `Bearer realm="execution-api", error="insufficient_scope"`, "", `{"detail":"Token is not valid for this resource"}`}
	crashed = golden{500, "", "", `{"detail":"Internal server error"}`}
)

func assertGolden(t *testing.T, want golden, rec *httptest.ResponseRecorder) {
	t.Helper()
	h := rec.Header()
	assert.Equal(t, want.status, rec.Code, "status")
	assert.Equal(t, want.body, rec.Body.String(), "body")
	if want.challenge == "" {
		assert.Empty(t, h.Values("WWW-Authenticate"), "WWW-Authenticate")
	} else {
		assert.Equal(t, []string{want.challenge}, h.Values("WWW-Authenticate"), "WWW-Authenticate")
	}
	if want.retryAfter == "" {
		assert.Empty(t, h.Values("Retry-After"), "Retry-After")
	} else {
		assert.Equal(t, []string{want.retryAfter}, h.Values("Retry-After"), "Retry-After")
	}
	assert.Equal(t, []string{"application/json"}, h.Values("Content-Type"))
	assert.Equal(t, []string{"no-store"}, h.Values("Cache-Control"))
}

// assertOutcome checks an admitted request when want is nil (200, next
// called once), else the exact rejection with next not called.
func assertOutcome(t *testing.T, want *golden, rec *httptest.ResponseRecorder, next *counter) {
	t.Helper()
	if want == nil {
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, int64(1), next.n.Load(), "next handler calls")
		return
	}
	assertGolden(t, *want, rec)
	assert.Zero(t, next.n.Load(), "next handler called")
}

func TestAuthenticateGolden(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	foreign := newFixture(t, testkit.Key(t, jwks.ES256, "kid-zq9-foreign"))
	exe := f.execution(t, taskA)
	parts := strings.Split(exe, ".")
	tampered := parts[0] + "." + parts[1] + "." + flip(parts[2])
	expired := f.mint(t, token.Claims{
		Subject: taskA.String(), Scope: scope.Set{scope.Execution},
		IssuedAt: now.Add(-20 * time.Minute), ExpiresAt: now.Add(-10 * time.Minute),
	})
	wrongIss := f.mint(t, token.Claims{Issuer: "https://evil.zq9.example", Subject: taskA.String(), Scope: scope.Set{scope.Execution}})
	wrongAud := f.mint(t, token.Claims{Audience: []string{"aud-zq9-other"}, Subject: taskA.String(), Scope: scope.Set{scope.Execution}})

	tests := []struct {
		name          string
		authorization []string
		mutate        func(r *http.Request)
		want          golden
	}{
		{name: "no header", want: noCreds},
		{name: "basic scheme", authorization: []string{"Basic dXNlcjpwYXNz"}, want: noCreds},
		{name: "digest scheme", authorization: []string{`Digest username="u", realm="r"`}, want: noCreds},
		{name: "scheme prefix of bearer", authorization: []string{"Bear " + exe}, want: noCreds},
		{name: "bearer glued to token", authorization: []string{"Bearer" + exe}, want: noCreds},
		{name: "two authorization fields", authorization: []string{bearer(exe), bearer(exe)}, want: badReq},
		{name: "bearer and basic fields", authorization: []string{bearer(exe), "Basic dXNlcjpwYXNz"}, want: badReq},
		{name: "empty value", authorization: []string{""}, want: badReq},
		{name: "leading space", authorization: []string{" " + bearer(exe)}, want: badReq},
		{name: "bearer without token", authorization: []string{"Bearer"}, want: badReq},
		{name: "bearer space empty token", authorization: []string{"Bearer "}, want: badReq},
		{name: "bearer spaces only", authorization: []string{"Bearer   "}, want: badReq},
		{name: "tab separator", authorization: []string{"Bearer\t" + exe}, want: badReq},
		{name: "space then tab", authorization: []string{"Bearer \t" + exe}, want: badReq},
		{name: "trailing tab", authorization: []string{bearer(exe) + "\t"}, want: badReq},
		{name: "extra part", authorization: []string{"Bearer a b"}, want: badReq},
		{name: "extra token", authorization: []string{bearer(exe) + " " + exe}, want: badReq},
		{name: "trailing space", authorization: []string{bearer(exe) + " "}, want: badReq},
		{name: "comma list", authorization: []string{bearer(exe) + ", Bearer " + exe}, want: badReq},
		{name: "quote in token", authorization: []string{`Bearer "` + exe + `"`}, want: badReq},
		{name: "non-ascii in token", authorization: []string{"Bearer t\u00f6k"}, want: badReq},
		{name: "CRLF in token", authorization: []string{"Bearer " + parts[0] + "\r\n." + parts[1]}, want: badReq},
		{name: "padding only", authorization: []string{"Bearer =="}, want: badReq},
		{name: "padding in middle", authorization: []string{"Bearer ab=cd"}, want: badReq},
		{name: "'!' in a signed token", authorization: []string{bearer(exe[:20] + "!" + exe[21:])}, want: badReq},
		{name: "'~' in a signed token (a b64token, not base64url)", authorization: []string{bearer(exe[:20] + "~" + exe[21:])}, want: badTok},
		{name: "query token ignored", mutate: func(r *http.Request) { r.URL.RawQuery = "access_token=" + exe }, want: noCreds},
		{name: "cookie token ignored", mutate: func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "access_token", Value: exe}) }, want: noCreds},
		{name: "form token ignored", mutate: func(r *http.Request) {
			r.Method = http.MethodPost
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Body = http.NoBody
			r.Form = map[string][]string{"access_token": {exe}}
		}, want: noCreds},
		{name: "not a jwt", authorization: []string{"Bearer abc"}, want: badTok},
		{name: "alg none", authorization: []string{"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}, want: badTok},
		{name: "b64token padding", authorization: []string{bearer(exe) + "=="}, want: badTok},
		{name: "expired", authorization: []string{bearer(expired)}, want: badTok},
		{name: "tampered signature", authorization: []string{bearer(tampered)}, want: badTok},
		{name: "unknown key", authorization: []string{bearer(foreign.execution(t, taskA))}, want: badTok},
		{name: "wrong issuer", authorization: []string{bearer(wrongIss)}, want: badTok},
		{name: "wrong audience", authorization: []string{bearer(wrongAud)}, want: badTok},
		{name: "workload on default route", authorization: []string{bearer(f.workload(t, taskA))}, want: onlyExe},
		{name: "processor on default route", authorization: []string{bearer(f.processor(t))}, want: onlyExe},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := new(counter)
			h := middleware.Authenticate(middleware.Config{Verifier: f.verifier})(next)
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			for _, a := range tc.authorization {
				r.Header.Add("Authorization", a)
			}
			if tc.mutate != nil {
				tc.mutate(r)
			}
			rec := serve(h, r)
			assertOutcome(t, &tc.want, rec, next)
		})
	}
}

// flip changes one character in the middle of a base64url segment.
func flip(seg string) string {
	i := len(seg) / 2
	c := byte('A')
	if seg[i] == 'A' {
		c = 'B'
	}
	return seg[:i] + string(c) + seg[i+1:]
}

func TestAuthenticateAccepts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	exe := f.execution(t, taskA)
	tests := []struct {
		name    string
		classes []scope.Scope
		header  string
	}{
		{"canonical", nil, bearer(exe)},
		{"lower-case scheme", nil, "bearer " + exe},
		{"upper-case scheme", nil, "BEARER " + exe},
		{"mixed-case scheme", nil, "bEaReR " + exe},
		{"several spaces", nil, "Bearer    " + exe},
		{"workload on run route", []scope.Scope{scope.Workload, scope.Execution}, bearer(f.workload(t, taskA))},
		{"execution on run route", []scope.Scope{scope.Workload, scope.Execution}, bearer(exe)},
		{"processor on connections route", []scope.Scope{scope.Execution, scope.Processor}, bearer(f.processor(t))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got *token.Claims
			h := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Classes: tc.classes})(
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					got, _ = token.FromContext(r.Context())
					w.WriteHeader(http.StatusNoContent)
				}))
			rec := get(h, "/x", tc.header)
			assert.Equal(t, http.StatusNoContent, rec.Code)
			require.NotNil(t, got, "claims in context")
			assert.Equal(t, testKID, got.KeyID())
			assert.Empty(t, rec.Header().Values("WWW-Authenticate"))
		})
	}
}

func TestAuthenticateForbiddenScopeAttribute(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	tests := []struct {
		name    string
		classes []scope.Scope
		tok     string
		want    string
	}{
		{"run route refuses processor", []scope.Scope{scope.Workload, scope.Execution}, f.processor(t),
			`Bearer realm="execution-api", error="insufficient_scope", scope="workload execution"`},
		{"connections route refuses workload", []scope.Scope{scope.Execution, scope.Processor}, f.workload(t, taskA),
			`Bearer realm="execution-api", error="insufficient_scope", scope="execution processor"`},
		{"duplicates collapse", []scope.Scope{scope.Processor, scope.Processor}, f.execution(t, taskA),
			`Bearer realm="execution-api", error="insufficient_scope", scope="processor"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := new(counter)
			h := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Classes: tc.classes})(next)
			rec := get(h, "/x", bearer(tc.tok))
			assertOutcome(t, &golden{403, tc.want, "", `{"detail":"Insufficient scope"}`}, rec, next)
		})
	}
}

// unavailable is a key lookup whose keys were never loaded.
var unavailable = jwks.LookupFunc(func(context.Context, string, jwks.Algorithm) (jwks.Key, error) {
	return jwks.Key{}, fmt.Errorf("%w: never loaded", jwks.ErrKeysUnavailable)
})

func TestAuthenticateKeysUnavailable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	v := newVerifier(t, unavailable)
	tests := []struct {
		name       string
		retryAfter time.Duration
		want       string
	}{
		{"default", 0, "5"},
		{"whole seconds", 90 * time.Second, "90"},
		{"rounded up", 1500 * time.Millisecond, "2"},
		{"under a second", time.Millisecond, "1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := new(counter)
			h := middleware.Authenticate(middleware.Config{Verifier: v, RetryAfter: tc.retryAfter})(next)
			rec := get(h, "/x", bearer(f.execution(t, taskA)))
			want := noKeys
			want.retryAfter = tc.want
			assertOutcome(t, &want, rec, next)
		})
	}
}

// TestAuthenticateOrder: authentication failures (400, 401, 503) are reported
// before the class check (403), so a token of the wrong class learns nothing.
func TestAuthenticateOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	expiredWorkload := f.mint(t, token.Claims{
		Subject: taskA.String(), Scope: scope.Set{scope.Workload},
		IssuedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(-24 * time.Hour),
	})
	workload := f.workload(t, taskA)
	tests := []struct {
		name          string
		verifier      *token.Verifier
		authorization []string
		want          golden
	}{
		{"malformed before class", f.verifier, []string{"Bearer\t" + workload}, badReq},
		{"two fields before class", f.verifier, []string{bearer(workload), bearer(workload)}, badReq},
		{"invalid before class", f.verifier, []string{bearer(expiredWorkload)}, badTok},
		{"unavailable before class", newVerifier(t, unavailable), []string{bearer(workload)}, noKeys},
		{"class last", f.verifier, []string{bearer(workload)}, onlyExe},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := new(counter)
			h := middleware.Authenticate(middleware.Config{Verifier: tc.verifier})(next)
			assertOutcome(t, &tc.want, get(h, "/x", tc.authorization...), next)
		})
	}
}

func TestAuthenticateRealm(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	h := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Realm: "airflow execution-api"})(new(counter))
	assert.Equal(t, `Bearer realm="airflow execution-api"`, get(h, "/x").Header().Get("WWW-Authenticate"))
	assert.Equal(t, `Bearer realm="airflow execution-api", error="invalid_token"`,
		get(h, "/x", "Bearer abc").Header().Get("WWW-Authenticate"))
}

// TestTwoAuthorizationFieldsOverTheWire checks that net/http hands both
// fields to the middleware rather than joining them.
func TestTwoAuthorizationFieldsOverTheWire(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	next := new(counter)
	srv := httptest.NewServer(middleware.Authenticate(middleware.Config{Verifier: f.verifier})(next))
	t.Cleanup(srv.Close)
	exe := f.execution(t, taskA)

	for _, tc := range []struct {
		name   string
		fields []string
		want   int
	}{
		{"one field", []string{bearer(exe)}, http.StatusOK},
		{"two fields", []string{bearer(exe), bearer(exe)}, http.StatusBadRequest},
	} {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		for _, a := range tc.fields {
			req.Header.Add("Authorization", a)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, tc.want, resp.StatusCode, tc.name)
	}
	assert.Equal(t, int64(1), next.n.Load(), "next handler hits")
}

func TestConstructionPanics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	ok := new(counter)
	tests := []struct {
		name string
		fn   func()
	}{
		{"nil verifier", func() { middleware.Authenticate(middleware.Config{}) }},
		{"permission scope as class", func() {
			middleware.Authenticate(middleware.Config{Verifier: f.verifier, Classes: []scope.Scope{"connections:read"}})
		}},
		{"empty class", func() { middleware.Authenticate(middleware.Config{Verifier: f.verifier, Classes: []scope.Scope{""}}) }},
		{"case variant class", func() {
			middleware.Authenticate(middleware.Config{Verifier: f.verifier, Classes: []scope.Scope{"Execution"}})
		}},
		{"realm with quote", func() { middleware.Authenticate(middleware.Config{Verifier: f.verifier, Realm: `a"b`}) }},
		{"realm with backslash", func() { middleware.Authenticate(middleware.Config{Verifier: f.verifier, Realm: `a\b`}) }},
		{"realm with newline", func() { middleware.Authenticate(middleware.Config{Verifier: f.verifier, Realm: "a\r\nX-Evil: 1"}) }},
		{"realm non-ascii", func() { middleware.Authenticate(middleware.Config{Verifier: f.verifier, Realm: "r\u00e9alm"}) }},
		{"negative retry", func() { middleware.Authenticate(middleware.Config{Verifier: f.verifier, RetryAfter: -time.Second}) }},
		{"nil next", func() { middleware.Authenticate(middleware.Config{Verifier: f.verifier})(nil) }},
		{"no scopes", func() { middleware.RequireScopes() }},
		{"malformed scope", func() { middleware.RequireScopes("a b") }},
		{"duplicate scope", func() { middleware.RequireScopes("a", "a") }},
		{"empty path value name", func() { middleware.RequireSubject("") }},
		{"requirement nil next", func() { middleware.RequireSubject("id")(nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg := panicMessage(tc.fn)
			assert.True(t, strings.HasPrefix(msg, "middleware: "), "panic message %q", msg)
		})
	}
	// The valid counterparts construct without panicking.
	assert.NotPanics(t, func() {
		middleware.Authenticate(middleware.Config{Verifier: f.verifier, Realm: "ok realm!", Classes: scope.Classes()})(ok)
		middleware.RequireScopes("connections:read")(ok)
		middleware.RequireSubject("id")(ok)
	})
}

func panicMessage(fn func()) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	fn()
	return "no panic"
}

func TestConfigCopied(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	cfg := middleware.Config{Verifier: f.verifier, Classes: []scope.Scope{scope.Workload}}
	h := middleware.Authenticate(cfg)(new(counter))
	cfg.Classes[0] = scope.Execution
	assert.Equal(t, http.StatusForbidden, get(h, "/x", bearer(f.execution(t, taskA))).Code)
	assert.Equal(t, http.StatusOK, get(h, "/x", bearer(f.workload(t, taskA))).Code)
}
