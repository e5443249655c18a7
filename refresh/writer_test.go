package refresh_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// TestMiddlewareStatus: a new credential goes out only with a non-error
// status; a finished task's 409 does not extend its chain.
func TestMiddlewareStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code int
		want bool
	}{
		{http.StatusOK, true},
		{http.StatusCreated, true},
		{http.StatusNoContent, true},
		{http.StatusFound, true},
		{http.StatusNotModified, true},
		{http.StatusBadRequest, false},
		{http.StatusUnauthorized, false},
		{http.StatusForbidden, false},
		{http.StatusNotFound, false},
		{http.StatusConflict, false},
		{http.StatusInternalServerError, false},
		{http.StatusServiceUnavailable, false},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.code), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			raw := f.dueToken(t)
			rec := serve(f.reissuer(t, nil), f.verify(t, raw), status(tc.code))
			assert.Equal(t, tc.code, rec.Code)
			assert.Equal(t, tc.want, rec.Header().Get(refresh.DefaultHeader) != "")
			if tc.want {
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

// TestMiddlewareWrites covers every way a handler can send its header.
func TestMiddlewareWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler func(t *testing.T, w http.ResponseWriter)
	}{
		{name: "no write at all", handler: func(*testing.T, http.ResponseWriter) {}},
		{name: "Write only", handler: func(_ *testing.T, w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }},
		{name: "Flusher", handler: func(t *testing.T, w http.ResponseWriter) {
			fl, ok := w.(http.Flusher)
			require.True(t, ok)
			fl.Flush()
			w.Header().Set("X-Late", "1") // after the flush: not sent
		}},
		{name: "ResponseController.Flush", handler: func(t *testing.T, w http.ResponseWriter) {
			assert.NoError(t, http.NewResponseController(w).Flush())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			raw := f.dueToken(t)
			rec := serve(f.reissuer(t, nil), f.verify(t, raw), http.HandlerFunc(
				func(w http.ResponseWriter, _ *http.Request) { tc.handler(t, w) }))
			res := rec.Result()
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.NotEmpty(t, res.Header.Get(refresh.DefaultHeader))
			assert.Empty(t, res.Header.Get("X-Late"))
		})
	}
}

func TestMiddlewareUnwrap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := f.dueToken(t)
	c := f.verify(t, raw)
	rec := httptest.NewRecorder()
	var inner http.ResponseWriter
	h := f.reissuer(t, nil).Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		require.True(t, ok)
		inner = u.Unwrap()
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	h.ServeHTTP(rec, req.WithContext(token.NewContext(req.Context(), c)))
	assert.Same(t, rec, inner)
}

// TestMiddlewareServer runs on a real server: deadlines reach the
// connection through Unwrap, and a 1xx response does not count as the final
// status.
func TestMiddlewareServer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := f.dueToken(t)
	re := f.reissuer(t, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/deadline", func(w http.ResponseWriter, _ *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			w.WriteHeader(http.StatusTeapot)
		}
	})
	mux.HandleFunc("/early-hints/{code}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints)
		if r.PathValue("code") == "404" {
			w.WriteHeader(http.StatusNotFound)
		}
	})
	srv := httptest.NewServer(authenticate(f.verifier, re.Middleware(mux)))
	t.Cleanup(srv.Close)

	tests := []struct {
		path string
		code int
		want bool
	}{
		{"/deadline", http.StatusOK, true},
		{"/early-hints/200", http.StatusOK, true},
		{"/early-hints/404", http.StatusNotFound, false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tc.path, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+string(raw))
			res, err := srv.Client().Do(req)
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, tc.code, res.StatusCode)
			assert.Equal(t, tc.want, res.Header.Get(refresh.DefaultHeader) != "")
		})
	}
}
