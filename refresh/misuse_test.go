package refresh_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// passThrough is a host's own ResponseWriter wrapper (a logging or metrics
// middleware) that follows the Unwrap convention.
type passThrough struct{ http.ResponseWriter }

func (p passThrough) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// TestExchangeAfterHeaderWritten: a run handler that writes before it
// exchanges gets ErrHeaderWritten, not a silently lost token; one that
// exchanges first hands the token out. The writer that notices keeps
// http.ResponseController working.
func TestExchangeAfterHeaderWritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		before  func(t *testing.T, w http.ResponseWriter) // what the handler does before Exchange
		wrap    bool                                      // a host wrapper sits between Middleware and the handler
		wantErr error
	}{
		{name: "exchange first", before: func(*testing.T, http.ResponseWriter) {}},
		{name: "early hints first", before: func(_ *testing.T, w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints) // informational: the final header is still to come
		}},
		{name: "WriteHeader first", wantErr: refresh.ErrHeaderWritten, before: func(_ *testing.T, w http.ResponseWriter) {
			w.WriteHeader(http.StatusOK)
		}},
		{name: "Write first", wantErr: refresh.ErrHeaderWritten, before: func(_ *testing.T, w http.ResponseWriter) {
			_, _ = w.Write([]byte("{}"))
		}},
		{name: "ResponseController.Flush first", wantErr: refresh.ErrHeaderWritten, before: func(t *testing.T, w http.ResponseWriter) {
			rc := http.NewResponseController(w)
			assert.NoError(t, rc.SetWriteDeadline(time.Now().Add(time.Minute)), "deadlines reach the server's writer")
			assert.NoError(t, rc.Flush())
		}},
		{name: "Flusher first", wantErr: refresh.ErrHeaderWritten, before: func(t *testing.T, w http.ResponseWriter) {
			f, ok := w.(http.Flusher)
			require.True(t, ok)
			f.Flush()
		}},
		{name: "WriteHeader first, through a host wrapper", wrap: true, wantErr: refresh.ErrHeaderWritten, before: func(_ *testing.T, w http.ResponseWriter) {
			w.WriteHeader(http.StatusOK)
		}},
		{name: "exchange first, through a host wrapper", wrap: true, before: func(*testing.T, http.ResponseWriter) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			re := f.reissuer(t, nil)
			workload := f.mint(t, scope.Workload, t0, time.Hour)
			errs := make(chan error, 1)
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.before(t, w)
				errs <- re.Exchange(w, r)
			})
			if tc.wrap {
				inner := h
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.ServeHTTP(passThrough{w}, r) })
			}
			srv := httptest.NewServer(authenticate(f.verifier, re.Middleware(h)))
			t.Cleanup(srv.Close)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, srv.URL, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+string(workload))

			res, err := srv.Client().Do(req)
			require.NoError(t, err)
			res.Body.Close()

			got := res.Header.Get(refresh.DefaultHeader)
			if tc.wantErr != nil {
				require.ErrorIs(t, <-errs, tc.wantErr)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, <-errs)
			c := f.verify(t, token.Raw(got))
			assert.Equal(t, scope.Execution, c.Class())
		})
	}
}

// TestMiddlewareOutsideAuthenticationLogged: reissue wired outside
// authentication cannot work; the first request that shows it is logged at
// Error level, once, and requests still reach the handler.
func TestMiddlewareOutsideAuthenticationLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	logs := new(testkit.Buffer)
	re := f.reissuer(t, func(c *refresh.ReissuerConfig) { c.Logger = slog.New(slog.NewJSONHandler(logs, nil)) })
	raw := f.dueToken(t)
	mux := http.NewServeMux()
	mux.Handle("PUT /task-instances/{id}/heartbeat", re.Middleware(ok)) // no authentication around it
	mux.Handle("PUT /inside", authenticate(f.verifier, re.Middleware(ok)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	put := func(path string) *http.Response {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+string(raw))
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}

	inside := put("/inside")
	require.Empty(t, logs.String(), "a request with claims logs nothing")
	for range 3 {
		res := put("/task-instances/1/heartbeat")
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Empty(t, res.Header.Get(refresh.DefaultHeader))
	}

	assert.NotEmpty(t, inside.Header.Get(refresh.DefaultHeader), "the same token is reissued inside authentication")
	got := logs.Records(t)
	require.Len(t, got, 1, "logged once")
	assert.Equal(t, "ERROR", got[0]["level"])
	assert.Contains(t, got[0]["msg"], "outside authentication")
	assert.Equal(t, "PUT /task-instances/{id}/heartbeat", got[0]["route"])
	assert.NotContains(t, logs.String(), string(raw))
}

// TestExchangeWithdrawnOnErrorStatus: a run handler that exchanges and then
// answers an error status, or panics, hands out no token (and is warned
// about); an informational response before the final one never carries it;
// a success, or a handler that never writes, hands it out.
func TestExchangeWithdrawnOnErrorStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		status    []int // written after Exchange; none: the handler never writes
		panics    bool  // the handler panics after Exchange
		withdrawn bool
	}{
		{name: "never writes"},
		{name: "200", status: []int{http.StatusOK}},
		{name: "204", status: []int{http.StatusNoContent}},
		{name: "302", status: []int{http.StatusFound}},
		{name: "103 then 200", status: []int{http.StatusEarlyHints, http.StatusOK}},
		{name: "409", status: []int{http.StatusConflict}, withdrawn: true},
		{name: "404", status: []int{http.StatusNotFound}, withdrawn: true},
		{name: "500", status: []int{http.StatusInternalServerError}, withdrawn: true},
		{name: "103 then 409", status: []int{http.StatusEarlyHints, http.StatusConflict}, withdrawn: true},
		{name: "panic", panics: true, withdrawn: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			logs := new(testkit.Buffer)
			re := f.reissuer(t, func(c *refresh.ReissuerConfig) { c.Logger = slog.New(slog.NewJSONHandler(logs, nil)) })
			workload := f.mint(t, scope.Workload, t0, time.Hour)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.NoError(t, re.Exchange(w, r))
				for _, status := range tc.status {
					w.WriteHeader(status)
				}
				if tc.panics {
					panic("the run failed")
				}
			})
			// A host's recovery middleware outermost: it answers a panic with
			// a 500 on the server's own writer.
			recoverer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() {
					if recover() != nil {
						w.WriteHeader(http.StatusInternalServerError)
					}
				}()
				authenticate(f.verifier, re.Middleware(h)).ServeHTTP(w, r)
			})
			srv := httptest.NewServer(recoverer)
			t.Cleanup(srv.Close)
			var informational []string // the token header of every 1xx response
			trace := &httptrace.ClientTrace{Got1xxResponse: func(_ int, h textproto.MIMEHeader) error {
				informational = append(informational, h.Get(refresh.DefaultHeader))
				return nil
			}}
			req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodPatch, srv.URL, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+string(workload))
			client := srv.Client()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			res, err := client.Do(req)
			require.NoError(t, err)
			res.Body.Close()

			for _, got := range informational {
				assert.Empty(t, got, "an informational response carries no token")
			}
			got := res.Header.Get(refresh.DefaultHeader)
			if tc.withdrawn {
				assert.Empty(t, got)
				assert.Contains(t, logs.String(), "exchanged token withdrawn")
				return
			}
			c := f.verify(t, token.Raw(got))
			assert.Equal(t, scope.Execution, c.Class())
			assert.Empty(t, logs.String())
		})
	}
}
