package refresh_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// The run endpoint trades a workload token for the first execution token of
// a chain. Exchange goes after the task's state transition and before the
// response is written.
func ExampleReissuer_Exchange() {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	issuer, verifier := exampleKeys(clock)
	re, err := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: issuer, Now: clock})
	if err != nil {
		panic(err)
	}

	// The run route takes workload tokens (to start) and execution tokens (a
	// worker that already started calls again), and runs the reissue
	// middleware like every authenticated route.
	late := false // a handler that writes its response first: a bug Exchange reports
	var exchangeErr error
	run := middleware.Authenticate(middleware.Config{Verifier: verifier, Classes: []scope.Scope{scope.Workload, scope.Execution}})(
		re.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// ... move the task to running, refusing a second run ...
			if late {
				w.WriteHeader(http.StatusOK)
			}
			exchangeErr = re.Exchange(w, r)
			if exchangeErr != nil && !late {
				w.WriteHeader(http.StatusConflict)
			}
		})))
	call := func(what string, raw token.Raw) {
		req := httptest.NewRequest(http.MethodPatch, "/task-instances/run", nil)
		req.Header.Set("Authorization", "Bearer "+string(raw))
		rec := httptest.NewRecorder()
		run.ServeHTTP(rec, req)
		fresh := rec.Header().Get(refresh.DefaultHeader)
		fmt.Println(what+":", rec.Code, "new token:", fresh != "")
		if exchangeErr != nil {
			fmt.Println("  header already written:", errors.Is(exchangeErr, refresh.ErrHeaderWritten))
		}
		if fresh != "" {
			c, err := verifier.Verify(context.Background(), fresh)
			if err != nil {
				panic(err)
			}
			fmt.Println("  class:", c.Class(), "chain started:", c.AuthTime.Equal(now))
		}
	}

	task := uuid.MustParse("0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d")
	workload, err := issuer.Workload(task)
	if err != nil {
		panic(err)
	}
	execution, err := issuer.Execution(task)
	if err != nil {
		panic(err)
	}
	call("workload token", workload)
	call("execution token", execution) // nothing to exchange: the reissue middleware renews it
	late = true
	call("workload token, response already written", workload)
	// Output:
	// workload token: 200 new token: true
	//   class: execution chain started: true
	// execution token: 200 new token: false
	// workload token, response already written: 200 new token: false
	//   header already written: true
}
