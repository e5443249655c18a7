package refresh_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
)

// A worker's client: the Transport sends the workload token to the
// execution API, swaps in the execution token the API hands back, and never
// sends a token to another origin.
func ExampleTransport() {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	issuer, verifier := exampleKeys(clock)

	// The execution API answers with the class of the token it got, and
	// hands an execution token to a workload token.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := verifier.Verify(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if c.Class() == scope.Workload {
			next, err := issuer.Exchange(c, time.Time{})
			if err != nil {
				panic(err)
			}
			w.Header().Set(refresh.DefaultHeader, string(next))
		}
		fmt.Fprint(w, c.Class())
	}))
	defer api.Close()
	// Another origin, which must never see a token.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "token received: ", r.Header.Get("Authorization") != "")
	}))
	defer other.Close()

	workload, err := issuer.Workload(uuid.MustParse("0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d"))
	if err != nil {
		panic(err)
	}
	tr, err := refresh.NewTransport(refresh.TransportConfig{Source: refresh.StaticSource(workload), BaseURL: api.URL})
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: tr}
	get := func(url string) {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		if err != nil {
			panic(err)
		}
		res, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			panic(err)
		}
		fmt.Println(res.StatusCode, string(body))
	}

	get(api.URL + "/run")       // the workload token; the answer carries an execution token
	get(api.URL + "/heartbeat") // the execution token, swapped in
	get(other.URL + "/")        // another origin: no token at all
	// Output:
	// 200 workload
	// 200 execution
	// 200 token received: false
}
