package chiexample_test

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// A heartbeat route on a chi router: execution tokens only, and only for the
// task named in the path. RequireSubjectFunc reads the path value with
// chi.URLParam, which works with every chi version; chi v5.0.12 and later
// also set http.Request.PathValue, where middleware.RequireSubject("id")
// does the same. The middleware goes on the route with With, so that it
// runs after chi matched the path.
func Example() {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key, err := jwks.NewSigningKey("k1", "", ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	if err != nil {
		panic(err)
	}
	issuer, err := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock})
	if err != nil {
		panic(err)
	}
	keys, err := jwks.NewStatic(key.Public())
	if err != nil {
		panic(err)
	}
	verifier, err := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock})
	if err != nil {
		panic(err)
	}
	re, err := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: issuer, Now: clock})
	if err != nil {
		panic(err)
	}

	// Execution tokens only. A server would log each rejection (never token
	// content); the example keeps quiet.
	auth := middleware.Authenticate(middleware.Config{Verifier: verifier, Logger: slog.New(slog.DiscardHandler)})
	self := middleware.RequireSubjectFunc(func(r *http.Request) string { return chi.URLParam(r, "id") })
	r := chi.NewRouter()
	r.With(auth, self, re.Middleware).Put("/task-instances/{id}/heartbeat", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	task, other := uuid.MustParse("0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d"), uuid.MustParse("7d1e4c2a-9b3f-4e8d-a6c5-1f2e3d4c5b6a")
	execution, err := issuer.Execution(task)
	if err != nil {
		panic(err)
	}
	workload, err := issuer.Workload(task)
	if err != nil {
		panic(err)
	}
	heartbeat := func(what string, id uuid.UUID, raw token.Raw) {
		req, err := http.NewRequest(http.MethodPut, srv.URL+"/task-instances/"+id.String()+"/heartbeat", nil)
		if err != nil {
			panic(err)
		}
		if raw != "" {
			req.Header.Set("Authorization", "Bearer "+string(raw))
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		res.Body.Close()
		fmt.Println(what+":", res.StatusCode, res.Header.Values("WWW-Authenticate"))
	}

	heartbeat("own task", task, execution)
	heartbeat("another task", other, execution)
	heartbeat("workload token", task, workload)
	heartbeat("no token", task, "")
	// Output:
	// own task: 204 []
	// another task: 403 [Bearer realm="execution-api", error="insufficient_scope"]
	// workload token: 403 [Bearer realm="execution-api", error="insufficient_scope", scope="execution"]
	// no token: 401 [Bearer realm="execution-api"]
}
