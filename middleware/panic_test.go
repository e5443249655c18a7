package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
)

// TestPanicContainment: a panic in a key lookup or a host hook becomes a 500
// with a fixed body, the log names the stage but not the panic value (which
// here carries the token or kid), and the next handler is not called.
func TestPanicContainment(t *testing.T) {
	t.Parallel()
	sk := testkit.Key(t, jwks.ES256, testKID)
	f := newFixture(t, sk)
	exe := f.execution(t, taskA)
	crashing := newVerifier(t, jwks.LookupFunc(func(_ context.Context, kid string, _ jwks.Algorithm) (jwks.Key, error) {
		panic("no key for kid " + kid)
	}))
	panicToken := func(r *http.Request) (string, error) { panic("extract saw " + r.Header.Get("Authorization")) }
	panicHook := func(w http.ResponseWriter, r *http.Request, err error) {
		panic("hook saw " + r.Header.Get("Authorization"))
	}
	lateHook := func(w http.ResponseWriter, r *http.Request, err error) {
		w.WriteHeader(http.StatusUnauthorized)
		panic("hook saw " + r.Header.Get("Authorization"))
	}
	tests := []struct {
		name       string
		cfg        middleware.Config
		header     string
		wantStatus int
		wantBody   string
		wantStages []string
	}{
		{"key lookup", middleware.Config{Verifier: crashing}, bearer(exe), 500, crashed.body, []string{"verify"}},
		{"extract", middleware.Config{Verifier: f.verifier, Extract: panicToken}, bearer(exe), 500, crashed.body, []string{"extract"}},
		{"error handler", middleware.Config{Verifier: f.verifier, ErrorHandler: panicHook}, "Bearer " + exe[:20], 500, crashed.body, []string{"error handler"}},
		{"key lookup and error handler", middleware.Config{Verifier: crashing, ErrorHandler: panicHook}, bearer(exe), 500, crashed.body, []string{"verify", "error handler"}},
		{"error handler after it wrote", middleware.Config{Verifier: f.verifier, ErrorHandler: lateHook}, "Bearer " + exe[:20], 401, "", []string{"error handler"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs testkit.Buffer
			tc.cfg.Logger = logs.JSONLogger()
			next := new(counter)
			h := middleware.Authenticate(tc.cfg)(next)
			var rec *httptest.ResponseRecorder
			require.NotPanics(t, func() { rec = get(h, "/x", tc.header) })
			assert.Equal(t, tc.wantStatus, rec.Code)
			assert.Equal(t, tc.wantBody, rec.Body.String())
			assert.Zero(t, next.n.Load())
			var stages []string
			for _, r := range logs.Records(t) {
				if r["msg"] == "panic in authentication" {
					stages = append(stages, r["stage"].(string))
					assert.Equal(t, "string", r["panic_type"])
				}
			}
			assert.Equal(t, tc.wantStages, stages)
			for _, s := range append(strings.Split(exe, "."), exe[:20], testKID, "saw", "no key") {
				assert.NotContains(t, logs.String(), s)
			}
		})
	}
}

// TestServerSurvivesPanics drives a real server: requests whose key lookup
// panics get 500, and the server goes on answering the others.
func TestServerSurvivesPanics(t *testing.T) {
	t.Parallel()
	sk := testkit.Key(t, jwks.ES256, testKID)
	f := newFixture(t, sk)
	var lookups atomic.Int64
	v := newVerifier(t, jwks.LookupFunc(func(_ context.Context, kid string, _ jwks.Algorithm) (jwks.Key, error) {
		if lookups.Add(1)%2 == 1 {
			panic("lookup " + kid)
		}
		return sk.Public(), nil
	}))
	srv := httptest.NewServer(middleware.Authenticate(middleware.Config{Verifier: v})(new(counter)))
	t.Cleanup(srv.Close)
	exe := f.execution(t, taskA)
	for i, want := range []int{500, 200, 500, 200} {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", bearer(exe))
		resp, err := srv.Client().Do(req)
		require.NoError(t, err, "request %d", i)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, want, resp.StatusCode, "request %d", i)
	}
	assert.Equal(t, int64(4), lookups.Load())
}

func TestPanicsPassedOn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	exe := f.execution(t, taskA)
	t.Run("next handler", func(t *testing.T) {
		t.Parallel()
		h := middleware.Authenticate(middleware.Config{Verifier: f.verifier})(
			http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("handler bug") }))
		assert.PanicsWithValue(t, "handler bug", func() { get(h, "/x", bearer(exe)) })
	})
	t.Run("abort handler from extract", func(t *testing.T) {
		t.Parallel()
		h := middleware.Authenticate(middleware.Config{
			Verifier: f.verifier,
			Extract:  func(*http.Request) (string, error) { panic(http.ErrAbortHandler) },
		})(new(counter))
		assert.PanicsWithValue(t, http.ErrAbortHandler, func() { get(h, "/x", bearer(exe)) })
	})
}
