package refresh_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// The run exchange and reissue near expiry, from a worker's side: it starts
// with a workload token and never handles the execution tokens itself.
func Example() {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var elapsed atomic.Int64 // a fake clock the server reads concurrently
	now := func() time.Time { return start.Add(time.Duration(elapsed.Load())) }
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := jwks.NewSigningKey("", "", priv)
	issuer, _ := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "iss", Audience: []string{"aud"}, Now: now})
	keys, _ := jwks.NewStatic(key.Public())
	verifier, _ := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "iss", Audience: []string{"aud"}, Now: now})
	re, err := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: issuer, Now: now})
	if err != nil {
		panic(err)
	}

	// The execution API. authenticate stands for bearer authentication
	// (package middleware): it verifies the token and stores the claims.
	mux := http.NewServeMux()
	mux.HandleFunc("PATCH /run", func(w http.ResponseWriter, r *http.Request) {
		// ... move the task to running, refusing a second run ...
		if err := re.Exchange(w, r); err != nil {
			http.Error(w, "cannot start", http.StatusForbidden)
		}
	})
	mux.HandleFunc("PUT /heartbeat", func(w http.ResponseWriter, r *http.Request) {
		c, _ := token.FromContext(r.Context())
		fmt.Println("heartbeat with an", c.Class(), "token")
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(authenticate(verifier, re.Middleware(mux)))
	defer srv.Close()

	// The worker.
	workload, _ := issuer.Workload(uuid.New())
	tr, err := refresh.NewTransport(refresh.TransportConfig{Source: refresh.StaticSource(workload), BaseURL: srv.URL})
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: tr}
	send := func(method, path string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		res, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		res.Body.Close()
		fmt.Println(method, path, res.StatusCode, "new token:", res.Header.Get(refresh.DefaultHeader) != "")
	}

	send(http.MethodPatch, "/run")
	send(http.MethodPut, "/heartbeat")
	elapsed.Store(int64(9 * time.Minute)) // one minute left of ten
	send(http.MethodPut, "/heartbeat")
	// Output:
	// PATCH /run 200 new token: true
	// heartbeat with an execution token
	// PUT /heartbeat 204 new token: false
	// heartbeat with an execution token
	// PUT /heartbeat 204 new token: true
}

// A provisioner writes a processor token to a file; the processor reads it
// through a FileSource, which a Transport never replaces with a refresh header.
func ExampleWriteTokenFile() {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := jwks.NewSigningKey("", "", priv)
	issuer, _ := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "iss", Audience: []string{"aud"}})
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "processor.token")

	// Provisioner side (holds the key).
	raw, _ := issuer.Processor("dag-processor")
	if err := refresh.WriteTokenFile(path, raw); err != nil {
		panic(err)
	}

	// Processor side (holds no key).
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: path})
	if err != nil {
		panic(err)
	}
	got, _ := src.Token(context.Background())
	info, _ := os.Stat(path)
	fmt.Println(got == raw, info.Mode().Perm(), src.Pinned())
	// Output: true -rw------- true
}

// exampleKeys returns an issuer ("scheduler", for "execution-api") and a
// verifier of its tokens, both on clock, wired as the README shows: one
// Ed25519 key (a fixed one here, so that the examples need no randomness),
// and its public half as the verifier's key set.
func exampleKeys(clock func() time.Time) (*token.Issuer, *token.Verifier) {
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
	return issuer, verifier
}
