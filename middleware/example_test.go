package middleware_test

import (
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// newAPI wires the routes of an execution API on a standard ServeMux. Each
// authenticated route names the token classes it accepts; the task routes
// also require the token's subject to be the task in the path.
func newAPI(v *token.Verifier) *http.ServeMux {
	auth := func(classes ...scope.Scope) func(http.Handler) http.Handler {
		return middleware.Authenticate(middleware.Config{Verifier: v, Classes: classes})
	}
	self := middleware.RequireSubject("id")
	mux := http.NewServeMux()
	mux.Handle("GET /health", reply(http.StatusOK))
	mux.Handle("PATCH /task-instances/{id}/run", auth(scope.Workload, scope.Execution)(self(reply(http.StatusOK))))
	mux.Handle("PUT /task-instances/{id}/heartbeat", auth()(self(reply(http.StatusNoContent)))) // execution only
	mux.Handle("GET /connections/{id}", auth(scope.Execution, scope.Processor)(reply(http.StatusOK)))
	return mux
}

func reply(status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) })
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func Example() {
	clock := func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	key := must(jwks.NewSigningKey("", "", ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))))
	issuer := must(token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock}))
	keys := must(jwks.NewStatic(key.Public()))
	verifier := must(token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock}))
	api := newAPI(verifier)

	task := uuid.MustParse("0190a8f4-3c2e-7b5d-9e1f-2a3b4c5d6e7f")
	other := uuid.MustParse("0190a8f4-3c2e-7b5d-9e1f-000000000000")
	workload := must(issuer.Workload(task))
	execution := must(issuer.Execution(task))
	processor := must(issuer.Processor("dag-processor"))
	run := "/task-instances/" + task.String() + "/run"
	heartbeat := "/task-instances/" + task.String() + "/heartbeat"

	for _, c := range []struct {
		label, method, path string
		tok                 token.Raw
	}{
		{"health, no token", "GET", "/health", ""},
		{"heartbeat, no token", "PUT", heartbeat, ""},
		{"run, workload token", "PATCH", run, workload},
		{"heartbeat, workload token", "PUT", heartbeat, workload},
		{"heartbeat, execution token", "PUT", heartbeat, execution},
		{"heartbeat of another task", "PUT", "/task-instances/" + other.String() + "/heartbeat", execution},
		{"connection, processor token", "GET", "/connections/db", processor},
		{"run, processor token", "PATCH", run, processor},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if c.tok != "" {
			r.Header.Set("Authorization", "Bearer "+string(c.tok))
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		fmt.Printf("%-29s %d\n", c.label, rec.Code)
	}
	// Output:
	// health, no token              200
	// heartbeat, no token           401
	// run, workload token           200
	// heartbeat, workload token     403
	// heartbeat, execution token    204
	// heartbeat of another task     403
	// connection, processor token   200
	// run, processor token          403
}
