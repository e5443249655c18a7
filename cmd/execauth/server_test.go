package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// apiFixture is a reference server behind httptest, on a fake clock, with
// its log captured.
type apiFixture struct {
	srv   *server
	url   string
	clock *authtest.Clock
	logs  *testkit.Buffer
}

func newAPIFixture(t testing.TB, cfg serverConfig) *apiFixture {
	t.Helper()
	f := &apiFixture{clock: authtest.NewClock(t0), logs: &testkit.Buffer{}}
	if cfg.key == nil {
		cfg.key = testkit.Seeded(t, "", 1)
	}
	if cfg.issuer == "" {
		cfg.issuer, cfg.audience = testIss, []string{testAud}
	}
	cfg.now = f.clock.Now
	cfg.log = f.logs.Logger()
	srv, err := newServer(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	f.srv, f.url = srv, hs.URL
	return f
}

// response is what a request to the fixture got.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request with the Authorization header auth (none if empty).
func (f *apiFixture) do(t testing.TB, method, path, auth, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func bearer(raw token.Raw) string { return "Bearer " + string(raw) }

// mint signs a token of class for sub with the fixture's issuer, issued
// age ago with the class's default lifetime.
func (f *apiFixture) mint(t testing.TB, class scope.Scope, sub string, age time.Duration) token.Raw {
	t.Helper()
	return mintWith(t, f.srv.issuer, class, sub, f.clock.Now().Add(-age))
}

func mintWith(t testing.TB, iss *token.Issuer, class scope.Scope, sub string, issued time.Time) token.Raw {
	t.Helper()
	raw, err := iss.Mint(token.Claims{
		Subject: sub, Scope: scope.Set{class},
		IssuedAt: issued, ExpiresAt: issued.Add((token.Lifetimes{}).For(class)),
	})
	require.NoError(t, err)
	return raw
}

func taskPath(id, action string) string { return "/task-instances/" + id + "/" + action }

const (
	runBodyA  = `{"hostname":"worker-1","pid":101}`
	challenge = `Bearer realm="execution-api"`
)

// TestServerStatusTable walks the reference routes in order; rows build on
// the task state earlier rows left.
func TestServerStatusTable(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, serverConfig{})
	a, b := taskA.String(), taskB.String()
	workloadA := bearer(f.mint(t, scope.Workload, a, 0))
	workloadB := bearer(f.mint(t, scope.Workload, b, 0))
	executionA := bearer(f.mint(t, scope.Execution, a, 0))
	executionB := bearer(f.mint(t, scope.Execution, b, 0))
	processor := bearer(f.mint(t, scope.Processor, "dag-processor", 0))
	expiredA := bearer(f.mint(t, scope.Execution, a, 11*time.Minute))

	for _, tc := range []struct {
		name, method, path, auth, body string
		status                         int
		wantJSON                       string // compared with JSONEq when set
		reissue                        bool   // a Refreshed-API-Token is expected
		wwwAuth                        string // WWW-Authenticate when set
	}{
		{"health", "GET", "/health", "", "", 200, `{"status":"ok"}`, false, ""},
		{"health with a bad token", "GET", "/health", "Bearer x", "", 200, `{"status":"ok"}`, false, ""},
		{"run: workload", "PATCH", taskPath(a, "run"), workloadA, runBodyA, 200,
			`{"id":"` + a + `","state":"running","hostname":"worker-1","pid":101}`, true, ""},
		{"run again: same host and pid", "PATCH", taskPath(a, "run"), workloadA, runBodyA, 200,
			`{"id":"` + a + `","state":"running","hostname":"worker-1","pid":101}`, true, ""},
		{"run again: execution token, same host and pid", "PATCH", taskPath(a, "run"), executionA, runBodyA, 200, "", false, ""},
		{"run again: another host", "PATCH", taskPath(a, "run"), workloadA, `{"hostname":"worker-2","pid":101}`, 409,
			`{"detail":{"reason":"invalid_state","message":"TI was not in a state where it could be marked as running","previous_state":"running"}}`, false, ""},
		{"run again: another pid", "PATCH", taskPath(a, "run"), workloadA, `{"hostname":"worker-1","pid":102}`, 409, "", false, ""},
		{"run: token of another task", "PATCH", taskPath(a, "run"), workloadB, runBodyA, 403,
			`{"detail":"Token is not valid for this resource"}`, false, challenge + `, error="insufficient_scope"`},
		{"run: processor", "PATCH", taskPath(a, "run"), processor, runBodyA, 403,
			`{"detail":"Insufficient scope"}`, false, challenge + `, error="insufficient_scope", scope="workload execution"`},
		{"run: no token", "PATCH", taskPath(b, "run"), "", runBodyA, 401, `{"detail":"Not authenticated"}`, false, challenge},
		{"run: bad JSON", "PATCH", taskPath(b, "run"), workloadB, `{"hostname":`, 422, "", false, ""},
		{"run: no pid", "PATCH", taskPath(b, "run"), workloadB, `{"hostname":"h"}`, 422, "", false, ""},
		{"heartbeat: task B never ran", "PUT", taskPath(b, "heartbeat"), executionB, "", 409, "", false, ""},
		{"heartbeat: execution", "PUT", taskPath(a, "heartbeat"), executionA, "", 204, "", false, ""},
		{"heartbeat: workload", "PUT", taskPath(a, "heartbeat"), workloadA, "", 403, "", false,
			challenge + `, error="insufficient_scope", scope="execution"`},
		{"heartbeat: processor", "PUT", taskPath(a, "heartbeat"), processor, "", 403, "", false,
			challenge + `, error="insufficient_scope", scope="execution"`},
		{"heartbeat: execution token of another task", "PUT", taskPath(a, "heartbeat"), executionB, "", 403, "", false, ""},
		{"heartbeat: no token", "PUT", taskPath(a, "heartbeat"), "", "", 401, `{"detail":"Not authenticated"}`, false, challenge},
		{"heartbeat: Basic credentials", "PUT", taskPath(a, "heartbeat"), "Basic dXNlcjpwYXNz", "", 401, "", false, challenge},
		{"heartbeat: expired", "PUT", taskPath(a, "heartbeat"), expiredA, "", 401, `{"detail":"Invalid token"}`, false,
			challenge + `, error="invalid_token"`},
		{"heartbeat: malformed header", "PUT", taskPath(a, "heartbeat"), "Bearer a b", "", 400, `{"detail":"Malformed credentials"}`, false,
			challenge + `, error="invalid_request"`},
		{"heartbeat: tampered token", "PUT", taskPath(a, "heartbeat"), executionA[:len(executionA)-4] + "AAAA", "", 401, "", false,
			challenge + `, error="invalid_token"`},
		{"connection: execution", "GET", "/connections/demo_db", executionA, "", 200,
			`{"conn_id":"demo_db","conn_type":"postgres","host":"db.example.internal","port":5432,"schema":"demo","login":"demo"}`, false, ""},
		{"connection: processor", "GET", "/connections/demo_db", processor, "", 200, "", false, ""},
		{"connection: workload", "GET", "/connections/demo_db", workloadA, "", 403, "", false,
			challenge + `, error="insufficient_scope", scope="execution processor parse"`},
		{"connection: unknown", "GET", "/connections/nope", processor, "", 404, `{"detail":{"reason":"not_found","message":"no such connection"}}`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.method, tc.path, tc.auth, tc.body)
			assert.Equal(t, tc.status, r.status, r.body)
			if tc.wantJSON != "" {
				assert.JSONEq(t, tc.wantJSON, r.body)
			}
			if tc.wwwAuth != "" {
				assert.Equal(t, tc.wwwAuth, r.header.Get("WWW-Authenticate"))
			}
			got := r.header.Get(refresh.DefaultHeader)
			if !tc.reissue {
				assert.Empty(t, got, "no new token")
				return
			}
			c, err := f.srv.verifier.Verify(context.Background(), got)
			require.NoError(t, err)
			assert.Equal(t, scope.Execution, c.Class())
			assert.Equal(t, a, c.Subject)
			assert.Equal(t, t0, c.AuthTime, "a chain starts at the exchange")
		})
	}
	t.Run("no token in the log", func(t *testing.T) {
		logs := f.logs.String()
		assert.Contains(t, logs, "route=\"PUT /task-instances/{id}/heartbeat\" status=204")
		assert.NotRegexp(t, jwsPattern, logs)
		assert.NotContains(t, logs, a, "no path values either")
	})
}

func TestServerJWKS(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, serverConfig{})
	r := f.do(t, "GET", "/.well-known/jwks.json", "", "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, "application/jwk-set+json", r.header.Get("Content-Type"))
	keys, skipped, err := jwks.ParseSet([]byte(r.body))
	require.NoError(t, err)
	assert.Empty(t, skipped)
	require.Len(t, keys, 1)
	assert.True(t, f.srv.issuer.Holds(keys[0].ID()), "the server's own key")
}

// TestServerReissue checks the reissue middleware on every authenticated
// route: a near-expiry execution token gets a successor on a 2xx, never on
// an error, and other classes never do.
func TestServerReissue(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, serverConfig{})
	a, b := taskA.String(), taskB.String()
	r := f.do(t, "PATCH", taskPath(a, "run"), bearer(f.mint(t, scope.Workload, a, 0)), runBodyA)
	require.Equal(t, 200, r.status)

	// 9m30s into a 10m token: 30s left, inside max(20% of 10m, 30s) = 2m.
	const age = 9*time.Minute + 30*time.Second
	nearA := f.mint(t, scope.Execution, a, age)
	for _, tc := range []struct {
		name, method, path string
		tok                token.Raw
		status             int
		reissue            bool
	}{
		{"heartbeat", "PUT", taskPath(a, "heartbeat"), nearA, 204, true},
		{"connection", "GET", "/connections/demo_db", nearA, 200, true},
		{"run, same worker", "PATCH", taskPath(a, "run"), nearA, 200, true},
		{"fresh token", "PUT", taskPath(a, "heartbeat"), f.mint(t, scope.Execution, a, 0), 204, false},
		{"error response", "PUT", taskPath(b, "heartbeat"), f.mint(t, scope.Execution, b, age), 409, false},
		{"processor near expiry", "GET", "/connections/demo_db", f.mint(t, scope.Processor, "p", 23*time.Hour+59*time.Minute), 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.method == "PATCH" {
				body = runBodyA
			}
			r := f.do(t, tc.method, tc.path, bearer(tc.tok), body)
			require.Equal(t, tc.status, r.status, r.body)
			got := r.header.Get(refresh.DefaultHeader)
			if !tc.reissue {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
			c, err := f.srv.verifier.Verify(context.Background(), got)
			require.NoError(t, err)
			old, err := f.srv.verifier.Verify(context.Background(), string(tc.tok))
			require.NoError(t, err)
			assert.Equal(t, old.Subject, c.Subject)
			assert.NotEqual(t, old.ID, c.ID)
			assert.Equal(t, t0, c.IssuedAt)
			assert.Equal(t, t0.Add(10*time.Minute), c.ExpiresAt)
		})
	}
}

// TestServerHMACKey runs the server with an HS512 secret, as Airflow's
// default deployment does: tokens verify, nothing is published.
func TestServerHMACKey(t *testing.T) {
	t.Parallel()
	key, err := jwks.Generate(jwks.HS512)
	require.NoError(t, err)
	f := newAPIFixture(t, serverConfig{key: key})
	r := f.do(t, "GET", "/.well-known/jwks.json", "", "")
	require.Equal(t, 200, r.status)
	assert.JSONEq(t, `{"keys":[]}`, r.body, "a secret is never published")

	r = f.do(t, "PATCH", taskPath(taskA.String(), "run"), bearer(f.mint(t, scope.Workload, taskA.String(), 0)), runBodyA)
	require.Equal(t, 200, r.status, r.body)
	exec := r.header.Get(refresh.DefaultHeader)
	require.NotEmpty(t, exec)
	assert.True(t, strings.HasPrefix(exec, "eyJhbGciOiJIUzUxMiI"), "an HS512 execution token")
	r = f.do(t, "PUT", taskPath(taskA.String(), "heartbeat"), "Bearer "+exec, "")
	assert.Equal(t, 204, r.status)
}

func TestServerRunBody(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, serverConfig{})
	a := taskA.String()
	tok := bearer(f.mint(t, scope.Workload, a, 0))
	for _, body := range []string{"", "null", "[]", `{"hostname":"","pid":1}`, `{"hostname":"h","pid":-1}`, `{"hostname":"h","pid":"1"}`, strings.Repeat(" ", maxBody+1)} {
		r := f.do(t, "PATCH", taskPath(a, "run"), tok, body)
		assert.Equal(t, 422, r.status, "body %.20q", body)
		assert.Empty(t, r.header.Get(refresh.DefaultHeader), "no token for a refused run")
		var d struct {
			Detail detail `json:"detail"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &d))
		assert.Equal(t, "invalid_body", d.Detail.Reason)
	}
	// None of them moved the task.
	r := f.do(t, "PUT", taskPath(a, "heartbeat"), bearer(f.mint(t, scope.Execution, a, 0)), "")
	assert.Equal(t, 409, r.status)
}
