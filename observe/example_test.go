package observe_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/token"
)

// Counting the decisions of Authenticate per route and reason: the reason
// codes and route patterns are fixed text, safe as metric labels.
func Example() {
	now := func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	key, _ := jwks.Generate(jwks.EdDSA)
	keys, _ := jwks.NewStatic(key.Public())
	iss, _ := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "scheduler", Audience: []string{"api"}, Now: now})
	v, _ := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "scheduler", Audience: []string{"api"}, Now: now})

	var mu sync.Mutex
	counts := map[string]int{}
	hooks := &observe.Hooks{
		OnAuth: func(_ context.Context, e observe.Auth) {
			label := e.Route + " admitted"
			if !e.Admitted {
				label = fmt.Sprintf("%s rejected %d %s", e.Route, e.Status, e.Reason)
			}
			mu.Lock()
			counts[label]++
			mu.Unlock()
		},
	}
	auth := middleware.Authenticate(middleware.Config{Verifier: v, Hooks: hooks, Logger: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("PUT /task-instances/{id}/heartbeat", auth(ok))

	task := uuid.New()
	execution, _ := iss.Execution(task)
	workload, _ := iss.Workload(task)
	for _, tok := range []token.Raw{execution, execution, workload, ""} {
		r := httptest.NewRequest(http.MethodPut, "/task-instances/"+task.String()+"/heartbeat", nil)
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+string(tok))
		}
		mux.ServeHTTP(httptest.NewRecorder(), r)
	}
	for _, label := range []string{
		"PUT /task-instances/{id}/heartbeat admitted",
		"PUT /task-instances/{id}/heartbeat rejected 403 insufficient_scope",
		"PUT /task-instances/{id}/heartbeat rejected 401 no_credentials",
	} {
		fmt.Println(counts[label], label)
	}
	// Output:
	// 2 PUT /task-instances/{id}/heartbeat admitted
	// 1 PUT /task-instances/{id}/heartbeat rejected 403 insufficient_scope
	// 1 PUT /task-instances/{id}/heartbeat rejected 401 no_credentials
}
