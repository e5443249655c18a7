package refresh_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// TestTransportNoFallbackAfterRevocation: a worker starts with its workload
// token, exchanges it for an execution token, then the execution token is
// revoked. The Transport returns the 401 the revoked token earned and never
// sends the workload token again, neither as a retry nor later; a worker
// that fell back to it would get 403 from a route that takes only
// execution tokens and read it as a scope problem.
func TestTransportNoFallbackAfterRevocation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	re := f.reissuer(t, nil)
	workload, err := f.issuer.Workload(uuid.New())
	require.NoError(t, err)

	var revoked atomic.Bool
	var mu sync.Mutex
	var classes []scope.Scope // the class of every token the API received
	mux := http.NewServeMux()
	mux.HandleFunc("PATCH /run", func(w http.ResponseWriter, r *http.Request) {
		if err := re.Exchange(w, r); err != nil {
			w.WriteHeader(http.StatusForbidden)
		}
	})
	mux.HandleFunc("PUT /heartbeat", func(w http.ResponseWriter, r *http.Request) {
		c, _ := token.FromContext(r.Context())
		switch {
		case c.Class() != scope.Execution:
			w.WriteHeader(http.StatusForbidden) // insufficient scope
		case revoked.Load():
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	record := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := token.FromContext(r.Context())
			mu.Lock()
			classes = append(classes, c.Class())
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(authenticate(f.verifier, record(mux)))
	t.Cleanup(srv.Close)
	tr, err := refresh.NewTransport(refresh.TransportConfig{
		Base: srv.Client().Transport, Source: refresh.StaticSource(workload), BaseURL: srv.URL,
	})
	require.NoError(t, err)
	client := &http.Client{Transport: tr}
	send := func(method, path string) int {
		// A replayable body, so a retry would be possible.
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(`{}`))
		require.NoError(t, err)
		res, err := client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}

	require.Equal(t, http.StatusOK, send(http.MethodPatch, "/run"))
	require.Equal(t, http.StatusNoContent, send(http.MethodPut, "/heartbeat"))
	revoked.Store(true)
	f.clock.Advance(time.Minute)
	first := send(http.MethodPut, "/heartbeat")
	later := send(http.MethodPut, "/heartbeat")

	assert.Equal(t, http.StatusUnauthorized, first, "the revoked token's 401 surfaces")
	assert.Equal(t, http.StatusUnauthorized, later)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []scope.Scope{scope.Workload, scope.Execution, scope.Execution, scope.Execution}, classes,
		"only the run carried the workload token")
}

// TestTransportNoOlderToken: once a refresh header moved the chain on, a 401
// is retried only with a token that is newer than the refused one.
func TestTransportNoOlderToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		source   refresh.Source
		accept   []token.Raw
		wantCode int
		wantHits []token.Raw // A handed out B; then B is refused, then one more request
	}{
		{
			name:     "source without Reload holds only the left token",
			source:   refresh.StaticSource(tokA),
			accept:   []token.Raw{tokA},
			wantCode: http.StatusUnauthorized,
			wantHits: []token.Raw{tokA, tokB, tokB},
		},
		{
			name:     "Reloader hands back the left token",
			source:   &reloader{toks: []token.Raw{tokA, tokA}},
			accept:   []token.Raw{tokA},
			wantCode: http.StatusUnauthorized,
			wantHits: []token.Raw{tokA, tokB, tokB},
		},
		{
			name:     "Reloader hands out a new token",
			source:   &reloader{toks: []token.Raw{tokA, tokC}},
			accept:   []token.Raw{tokA, tokC},
			wantCode: http.StatusOK,
			wantHits: []token.Raw{tokA, tokB, tokC, tokC},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAPI(t, tc.accept...)
			a.set(func(a *api) { a.refresh = []string{string(tokB)} })
			client := &http.Client{Transport: a.transport(t, tc.source)}

			get(t, client, a.srv.URL) // A accepted, B handed out
			a.set(func(a *api) { a.refresh = nil })
			res := get(t, client, a.srv.URL) // B refused
			get(t, client, a.srv.URL)

			assert.Equal(t, tc.wantCode, res.StatusCode)
			var want, hits []string // strings: a token.Raw prints redacted
			for _, tok := range tc.wantHits {
				want = append(want, "Bearer "+string(tok))
			}
			for _, h := range a.seen() {
				hits = append(hits, h.auth)
			}
			assert.Equal(t, want, hits)
		})
	}
}
