package main

import (
	"encoding/json"
	"expvar"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/scope"
)

// debugVars reads GET /debug/vars without a token and returns the
// execauth map, after checking the standard expvar variables are there.
func (f *apiFixture) debugVars(t *testing.T) map[string]int64 {
	t.Helper()
	res := f.do(t, http.MethodGet, "/debug/vars", "", "")
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Equal(t, "application/json; charset=utf-8", res.header.Get("Content-Type"))
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(res.body), &doc), res.body)
	assert.Contains(t, doc, "cmdline")
	assert.Contains(t, doc, "memstats")
	var vars map[string]int64
	require.NoError(t, json.Unmarshal(doc["execauth"], &vars))
	return vars
}

// TestServerDebugVars drives requests through the server and reads the
// counts back from /debug/vars.
func TestServerDebugVars(t *testing.T) {
	t.Parallel()
	// A trusted JWK Set URL that answers once, then fails.
	other := testkit.Seeded(t, "", 9)
	body, err := jwks.MarshalSet(other.Public())
	require.NoError(t, err)
	var down atomic.Bool
	trusted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(trusted.Close)
	f := newAPIFixture(t, serverConfig{trusted: []string{trusted.URL + "/jwks.json"}})

	vars := f.debugVars(t)
	for _, reason := range middleware.Reasons() {
		assert.Contains(t, vars, "rejected."+reason, "every reason code is there from the start")
	}
	assert.Equal(t, int64(1), vars["jwks.fetch.ok"], "the fetch at start")

	a, b := taskA.String(), taskB.String()
	run := f.do(t, http.MethodPatch, taskPath(a, "run"), bearer(f.mint(t, scope.Workload, a, 0)), runBodyA)
	require.Equal(t, http.StatusOK, run.status, run.body)
	require.NotEmpty(t, run.header.Get("Refreshed-API-Token"))

	// Due for reissue: issued 9m55s ago, with a 10m lifetime.
	due := bearer(f.mint(t, scope.Execution, a, 10*time.Minute-5*time.Second))
	hb := f.do(t, http.MethodPut, taskPath(a, "heartbeat"), due, "")
	require.Equal(t, http.StatusNoContent, hb.status, hb.body)
	require.NotEmpty(t, hb.header.Get("Refreshed-API-Token"))

	for _, req := range []struct {
		auth   string
		path   string
		status int
	}{
		{"", taskPath(a, "heartbeat"), 401},                                                                       // no_credentials
		{"Bearer a b", taskPath(a, "heartbeat"), 400},                                                             // invalid_request
		{bearer(f.mint(t, scope.Workload, a, 0)), taskPath(a, "heartbeat"), 403},                                  // insufficient_scope
		{bearer(f.mint(t, scope.Execution, a, time.Hour)), taskPath(a, "heartbeat"), 401},                         // expired
		{bearer(f.mint(t, scope.Execution, b, 0)), taskPath(a, "heartbeat"), 403},                                 // admitted, then subject_mismatch
		{bearer(mintWith(t, f.srv.issuer, scope.Execution, a, t0.Add(time.Hour))), taskPath(a, "heartbeat"), 401}, // not_yet_valid
	} {
		assert.Equal(t, req.status, f.do(t, http.MethodPut, req.path, req.auth, "").status, req)
	}

	// The task finishes: its tokens are revoked.
	fin := f.do(t, http.MethodPatch, taskPath(a, "state"), bearer(f.mint(t, scope.Execution, a, 0)), `{"state":"success"}`)
	require.Equal(t, http.StatusNoContent, fin.status, fin.body)
	require.Equal(t, http.StatusUnauthorized, f.do(t, http.MethodPut, taskPath(a, "heartbeat"), due, "").status)

	down.Store(true)
	require.Error(t, f.srv.keys.Refresh(t.Context()))

	vars = f.debugVars(t)
	want := map[string]int64{
		"admitted": 4, "exchanged": 1, "reissued": 1, "revoked": 1, "rejected.revoked": 1,
		"rejected.no_credentials": 1, "rejected.invalid_request": 1, "rejected.insufficient_scope": 1,
		"rejected.expired": 1, "rejected.subject_mismatch": 1, "rejected.not_yet_valid": 1,
		"jwks.fetch.ok": 1, "jwks.fetch.error": 1,
	}
	// The revocation list syncs in the background as well: at least its
	// first sync, none failed.
	assert.GreaterOrEqual(t, vars["revocation.sync.ok"], int64(1))
	assert.Zero(t, vars["revocation.sync.error"])
	delete(vars, "revocation.sync.ok")
	for k, v := range vars {
		assert.Equal(t, want[k], v, k)
	}
	for k := range want {
		assert.Contains(t, vars, k)
	}

	// Another server in the same process counts on its own.
	g := newAPIFixture(t, serverConfig{})
	assert.Zero(t, g.debugVars(t)["admitted"])
	assert.Equal(t, int64(4), f.debugVars(t)["admitted"])
}

// The counters hold nothing from a token: only fixed keys and numbers.
func TestServerDebugVarsNoTokenContent(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, serverConfig{})
	iss := authtest.NewIssuer(t, authtest.WithClock(authtest.NewClock(t0)), authtest.WithIssuerName(testIss), authtest.WithAudience(testAud))
	forged := iss.Execution(t, taskA) // signed by a key the server does not trust
	require.Equal(t, http.StatusUnauthorized, f.do(t, http.MethodPut, taskPath(taskA.String(), "heartbeat"), bearer(forged), "").status)
	res := f.do(t, http.MethodGet, "/debug/vars", "", "")
	assert.NotContains(t, res.body, taskA.String())
	assert.NotContains(t, res.body, string(forged))
	assert.False(t, jwsPattern.MatchString(res.body))
	assert.Equal(t, int64(1), f.debugVars(t)["rejected.unknown_key"])
}

// TestServerDebugVarsRevocationSync: a revocation store that fails is
// counted at revocation.sync.error, and its return at revocation.sync.ok.
func TestServerDebugVarsRevocationSync(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	f := newAPIFixture(t, serverConfig{redis: c})
	before := f.debugVars(t)
	require.GreaterOrEqual(t, before["revocation.sync.ok"], int64(1), "the first sync")

	m.SetError("LOADING redis is loading the dataset in memory")
	require.Error(t, f.srv.revoked.Sync(t.Context()))
	failed := f.debugVars(t)
	assert.GreaterOrEqual(t, failed["revocation.sync.error"], before["revocation.sync.error"]+1)

	m.SetError("")
	require.NoError(t, f.srv.revoked.Sync(t.Context()))
	assert.Greater(t, f.debugVars(t)["revocation.sync.ok"], failed["revocation.sync.ok"])
}

// TestServerDebugVarsKeyReloads: the key directory that serve opens before
// the server reports to the server's counters: its first state and each new
// one applied, a broken one refused while the last good one stays in use.
func TestServerDebugVarsKeyReloads(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	keysCLI(t, "init", "-dir", dir)
	stats := newCounters()
	keys, done, err := signingKeys(t.Context(), &keyFlags{}, dir, 20*time.Millisecond, slog.New(slog.DiscardHandler), io.Discard, stats.hooks())
	require.NoError(t, err)
	t.Cleanup(done)
	f := newAPIFixture(t, serverConfig{keys: keys, stats: stats})
	count := func(name string) int64 { return stats.vars.Get(name).(*expvar.Int).Value() }

	vars := f.debugVars(t)
	assert.EqualValues(t, 1, vars["keys.reload.applied"], "the first state")
	assert.Zero(t, vars["keys.reload.refused"])

	keysCLI(t, "add", "-dir", dir)
	require.Eventually(t, func() bool { return count("keys.reload.applied") == 2 }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys.json"), []byte("{"), 0o600))
	require.Eventually(t, func() bool { return count("keys.reload.refused") >= 1 }, 10*time.Second, 10*time.Millisecond)
	vars = f.debugVars(t)
	assert.EqualValues(t, 2, vars["keys.reload.applied"])
	assert.GreaterOrEqual(t, vars["keys.reload.refused"], int64(1))
	assert.Len(t, keys.PublicKeys(), 2, "the last good state stays in use")
}
