package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// apiRoutes lists every route of newAPI with what it is meant to accept.
var apiRoutes = []struct {
	method, pattern string
	public          bool // no authentication
	workload        bool // accepts workload tokens (the run exchange)
	processor       bool // accepts processor tokens
	self            bool // sub must equal {id}
	ok              int
}{
	{method: "GET", pattern: "/health", public: true, ok: 200},
	{method: "PATCH", pattern: "/task-instances/{id}/run", workload: true, self: true, ok: 200},
	{method: "PUT", pattern: "/task-instances/{id}/heartbeat", self: true, ok: 204},
	{method: "GET", pattern: "/connections/{id}", processor: true, ok: 200},
}

// TestTokenClassBoundary is the route-by-route guard Airflow keeps for its
// execution API: on every route a workload token is refused unless the route
// is the run exchange, a processor token unless the route accepts
// processors, and on self-checked routes an execution token for another task
// is refused.
func TestTokenClassBoundary(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Seeded(t, testKID, 1))
	api := newAPI(f.verifier)
	tokens := []struct {
		name string
		tok  string
		want func(public, workload, processor, self bool) bool // admitted?
	}{
		{"none", "", func(public, _, _, _ bool) bool { return public }},
		{"workload", f.workload(t, taskA), func(public, workload, _, _ bool) bool { return public || workload }},
		{"processor", f.processor(t), func(public, _, processor, _ bool) bool { return public || processor }},
		{"execution", f.execution(t, taskA), func(bool, bool, bool, bool) bool { return true }},
		{"execution of another task", f.execution(t, taskB), func(public, _, _, self bool) bool { return public || !self }},
	}
	for _, rt := range apiRoutes {
		path := strings.ReplaceAll(rt.pattern, "{id}", taskA.String())
		t.Run(rt.method+" "+rt.pattern, func(t *testing.T) {
			t.Parallel()
			probe := httptest.NewRequest(rt.method, path, nil)
			_, pattern := api.Handler(probe)
			require.Equal(t, rt.method+" "+rt.pattern, pattern, "the table names a route of the mux")
			for _, tk := range tokens {
				r := httptest.NewRequest(rt.method, path, nil)
				if tk.tok != "" {
					r.Header.Set("Authorization", bearer(tk.tok))
				}
				got := serve(api, r).Code
				switch {
				case tk.want(rt.public, rt.workload, rt.processor, rt.self):
					assert.Equal(t, rt.ok, got, tk.name)
				case tk.tok == "":
					assert.Equal(t, http.StatusUnauthorized, got, tk.name)
				default:
					assert.Equal(t, http.StatusForbidden, got, tk.name)
				}
			}
		})
	}
}

// TestConcurrentRequests mixes valid and invalid requests from 100
// goroutines on one handler; run it with -race.
func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	api := newAPI(f.verifier)
	heartbeat := "/task-instances/" + taskA.String() + "/heartbeat"
	expired := f.mint(t, token.Claims{
		Subject: taskA.String(), Scope: scope.Set{scope.Execution},
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-50 * time.Minute),
	})
	exe := f.execution(t, taskA)
	cases := []struct {
		method, path, header string
		want                 int
	}{
		{"PUT", heartbeat, bearer(exe), 204},
		{"PUT", heartbeat, bearer(f.workload(t, taskA)), 403},
		{"PUT", heartbeat, bearer(expired), 401},
		{"PUT", heartbeat, "Bearer\t" + exe, 400},
		{"PUT", heartbeat, "", 401},
		{"PUT", "/task-instances/" + taskB.String() + "/heartbeat", bearer(exe), 403},
		{"GET", "/connections/db", bearer(f.processor(t)), 200},
		{"PATCH", "/task-instances/" + taskA.String() + "/run", bearer(f.workload(t, taskA)), 200},
	}
	var wg sync.WaitGroup
	for i := range 100 {
		c := cases[i%len(cases)]
		wg.Go(func() {
			r := httptest.NewRequest(c.method, c.path, nil)
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			assert.Equal(t, c.want, serve(api, r).Code, "request %d", i)
		})
	}
	wg.Wait()
}
