package execauth_test

import (
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// Example walks the whole flow: a workload token is exchanged at the run
// endpoint for an execution token, which the client transport swaps in; near
// expiry the server reissues it and the transport swaps again.
func Example() {
	// A frozen clock that the example moves forward; servers use time.Now.
	var at atomic.Int64
	at.Store(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(at.Load(), 0) }

	// Issuer side: a signing key and an issuer; verifier side: its public key.
	key, _ := jwks.NewSigningKey("key-1", "", ed25519.NewKeyFromSeed(make([]byte, 32)))
	issuer, _ := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock})
	keys, _ := jwks.NewStatic(key.Public())
	verifier, _ := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock})
	reissuer, _ := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: issuer, Now: clock})

	// The execution API: the run route accepts workload and execution tokens,
	// every other route execution tokens only.
	runAuth := middleware.Authenticate(middleware.Config{Verifier: verifier, Classes: []scope.Scope{scope.Workload, scope.Execution}})
	auth := middleware.Authenticate(middleware.Config{Verifier: verifier})
	self := middleware.RequireSubject("id")
	mux := http.NewServeMux()
	mux.Handle("PATCH /task-instances/{id}/run", runAuth(self(reissuer.Middleware(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			// ...move the task to running, then hand out the execution token:
			if err := reissuer.Exchange(w, r); err != nil {
				http.Error(w, "exchange failed", http.StatusInternalServerError)
			}
		})))))
	mux.Handle("PUT /task-instances/{id}/heartbeat", auth(self(reissuer.Middleware(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			c, _ := token.FromContext(r.Context())
			fmt.Println("  server saw the", c.Class(), "token")
			w.WriteHeader(http.StatusNoContent)
		})))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The worker starts with the workload token shipped with its job.
	task := uuid.MustParse("0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d")
	workload, _ := issuer.Workload(task)
	transport, _ := refresh.NewTransport(refresh.TransportConfig{Source: refresh.StaticSource(workload), BaseURL: srv.URL})
	client := &http.Client{Transport: transport}
	call := func(method, path string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(method, path, resp.StatusCode, "new token:", resp.Header.Get("Refreshed-API-Token") != "")
	}
	base := "/task-instances/" + task.String()

	call("PATCH", base+"/run")     // workload → execution token
	call("PUT", base+"/heartbeat") // the transport sends the execution token
	at.Add(int64(9 * time.Minute / time.Second))
	call("PUT", base+"/heartbeat") // near expiry: reissued
	at.Add(int64(5 * time.Minute / time.Second))
	call("PUT", base+"/heartbeat") // the first execution token has expired; its successor is in use
	// Output:
	// PATCH /task-instances/0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d/run 200 new token: true
	//   server saw the execution token
	// PUT /task-instances/0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d/heartbeat 204 new token: false
	//   server saw the execution token
	// PUT /task-instances/0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d/heartbeat 204 new token: true
	//   server saw the execution token
	// PUT /task-instances/0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d/heartbeat 204 new token: false
}
