package refresh_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// hookStep is how far the hooks' clock moves per reading.
const hookStep = 2 * time.Millisecond

// at is when the hooks' clock starts; events timed by it begin there.
var at = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

const taskRoute = "GET /tasks/{id}"

// reissueServer serves taskRoute through bearer authentication, the
// reissue middleware and h, reporting to a recorder.
func reissueServer(t *testing.T, f *fixture, iss *token.Issuer, mod func(*refresh.ReissuerConfig), h http.Handler) (http.Handler, *testkit.Events[observe.Reissue]) {
	t.Helper()
	rec := new(testkit.Events[observe.Reissue])
	cfg := refresh.ReissuerConfig{
		Issuer: iss, Now: f.clock.Now, Logger: newDiscard(),
		Hooks: &observe.Hooks{OnReissue: rec.Add, Now: testkit.StepClock(at, hookStep)},
	}
	if mod != nil {
		mod(&cfg)
	}
	re, err := refresh.NewReissuer(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(taskRoute, authenticate(f.verifier, re.Middleware(h)))
	return mux, rec
}

func callTask(h http.Handler, raw token.Raw) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/tasks/1", nil)
	req.Header.Set("Authorization", "Bearer "+string(raw))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHooksReissue(t *testing.T) {
	t.Parallel()
	const life = 10 * time.Minute
	declined := func(class, why string, status int) observe.Reissue {
		return observe.Reissue{Kind: observe.KindReissue, Outcome: observe.Declined, Reason: why, Route: taskRoute, Class: class, Status: status}
	}
	tests := []struct {
		name    string
		token   func(t *testing.T, f *fixture) token.Raw
		mod     func(*refresh.ReissuerConfig)
		handler func(f *fixture) http.Handler
		broken  bool // the issuer cannot mint
		want    observe.Reissue
	}{
		{
			name:  "minted",
			token: func(t *testing.T, f *fixture) token.Raw { return f.dueToken(t) },
			want: observe.Reissue{Kind: observe.KindReissue, Outcome: observe.Minted, Route: taskRoute,
				Class: "execution", Status: 200, Start: at, Duration: hookStep},
		},
		{
			name:  "not due",
			token: func(t *testing.T, f *fixture) token.Raw { return f.mint(t, scope.Execution, t0, life) },
			want:  declined("execution", observe.NotDue, 0),
		},
		{
			name:  "workload token",
			token: func(t *testing.T, f *fixture) token.Raw { return f.mint(t, scope.Workload, t0, time.Hour) },
			want:  declined("workload", observe.WrongClass, 0),
		},
		{
			name: "a key the issuer does not hold",
			token: func(t *testing.T, f *fixture) token.Raw {
				other := testkit.Key(t, jwks.ES256, "")
				f.verifier = newVerifier(t, "iss", f.clock, f.key.Public(), other.Public())
				return mintWith(t, f.newIssuer(t, "iss", other), token.Claims{
					Scope: scope.Set{scope.Execution}, IssuedAt: t0, ExpiresAt: t0.Add(life),
				})
			},
			want: declined("execution", observe.NotOurs, 0),
		},
		{
			name: "chain too old",
			token: func(t *testing.T, f *fixture) token.Raw {
				raw := mintWith(t, f.issuer, token.Claims{
					Scope: scope.Set{scope.Execution}, IssuedAt: t0, ExpiresAt: t0.Add(life),
					AuthTime: t0.Add(-refresh.DefaultMaxChainAge),
				})
				f.clock.Set(t0.Add(life - 10*time.Second))
				return raw
			},
			want: declined("execution", observe.ChainTooOld, 0),
		},
		{
			name:    "error status",
			token:   func(t *testing.T, f *fixture) token.Raw { return f.dueToken(t) },
			handler: func(*fixture) http.Handler { return status(http.StatusConflict) },
			want:    declined("execution", observe.ErrorStatus, http.StatusConflict),
		},
		{
			name:  "host declined",
			token: func(t *testing.T, f *fixture) token.Raw { return f.dueToken(t) },
			mod: func(c *refresh.ReissuerConfig) {
				c.Allow = func(*http.Request, *token.Claims) bool { return false }
			},
			want: declined("execution", observe.HostDeclined, 200),
		},
		{
			// Due at admission: reissued although the handler ran past exp.
			name:  "expired while the handler ran",
			token: func(t *testing.T, f *fixture) token.Raw { return f.dueToken(t) },
			handler: func(f *fixture) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					f.clock.Advance(time.Minute)
					w.WriteHeader(http.StatusOK)
				})
			},
			want: observe.Reissue{Kind: observe.KindReissue, Outcome: observe.Minted, Route: taskRoute,
				Class: "execution", Status: 200, Start: at, Duration: hookStep},
		},
		{
			name:   "failed",
			token:  func(t *testing.T, f *fixture) token.Raw { return f.dueToken(t) },
			broken: true,
			want: observe.Reissue{Kind: observe.KindReissue, Outcome: observe.Failed, Route: taskRoute,
				Class: "execution", Status: 200, Start: at, Duration: hookStep},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			raw := tc.token(t, f)
			iss := f.issuer
			if tc.broken {
				var err error
				iss, err = token.NewIssuer(token.IssuerConfig{
					Keys: f.key, Issuer: "iss", Audience: []string{"aud"}, Now: f.clock.Now, Rand: failingReader{},
				})
				require.NoError(t, err)
			}
			h := ok
			if tc.handler != nil {
				h = tc.handler(f)
			}
			srv, rec := reissueServer(t, f, iss, tc.mod, h)
			res := callTask(srv, raw)
			require.NotEqual(t, http.StatusUnauthorized, res.Code)
			assert.Equal(t, tc.want.Outcome == observe.Minted, res.Header().Get(refresh.DefaultHeader) != "")

			events := rec.All()
			require.Len(t, events, 1)
			got := events[0]
			if tc.want.Outcome == observe.Failed {
				require.ErrorIs(t, got.Err, token.ErrNotMinted)
				got.Err = nil
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestHooksExchange(t *testing.T) {
	t.Parallel()
	const route = "PATCH /tasks/{id}/run"
	declined := func(class, why string) observe.Reissue {
		return observe.Reissue{Kind: observe.KindExchange, Outcome: observe.Declined, Reason: why, Route: route, Class: class}
	}
	tests := []struct {
		name      string
		token     func(t *testing.T, f *fixture) token.Raw
		broken    bool
		exchanges refresh.Exchanges
		wantErr   error // of a Failed event
		want      []observe.Reissue
	}{
		{
			name:  "minted",
			token: func(t *testing.T, f *fixture) token.Raw { return f.mint(t, scope.Workload, t0, time.Hour) },
			want: []observe.Reissue{{Kind: observe.KindExchange, Outcome: observe.Minted, Route: route,
				Class: "workload", Start: at, Duration: hookStep}},
		},
		{
			name:  "execution token: nothing to exchange, nothing reported",
			token: func(t *testing.T, f *fixture) token.Raw { return f.mint(t, scope.Execution, t0, 10*time.Minute) },
		},
		{
			name: "processor token",
			token: func(t *testing.T, f *fixture) token.Raw {
				return mintWith(t, f.issuer, token.Claims{Subject: "dag-processor", Scope: scope.Set{scope.Processor}})
			},
			want: []observe.Reissue{declined("processor", observe.WrongClass)},
		},
		{
			name: "a key the issuer does not hold",
			token: func(t *testing.T, f *fixture) token.Raw {
				other := testkit.Key(t, jwks.ES256, "")
				f.verifier = newVerifier(t, "iss", f.clock, f.key.Public(), other.Public())
				return mintWith(t, f.newIssuer(t, "iss", other), token.Claims{Scope: scope.Set{scope.Workload}})
			},
			want: []observe.Reissue{declined("workload", observe.NotOurs)},
		},
		{
			name: "past exp, inside leeway",
			token: func(t *testing.T, f *fixture) token.Raw {
				raw := f.mint(t, scope.Workload, t0, time.Hour)
				f.clock.Set(t0.Add(time.Hour + time.Second))
				return raw
			},
			want: []observe.Reissue{declined("workload", observe.Expired)},
		},
		{
			name:    "failed",
			token:   func(t *testing.T, f *fixture) token.Raw { return f.mint(t, scope.Workload, t0, time.Hour) },
			broken:  true,
			wantErr: token.ErrNotMinted,
			want: []observe.Reissue{{Kind: observe.KindExchange, Outcome: observe.Failed, Route: route,
				Class: "workload", Start: at, Duration: hookStep}},
		},
		{
			name:      "first-exchange record unavailable",
			token:     func(t *testing.T, f *fixture) token.Raw { return f.mint(t, scope.Workload, t0, time.Hour) },
			exchanges: downStore{},
			wantErr:   refresh.ErrUnavailable,
			want:      []observe.Reissue{{Kind: observe.KindExchange, Outcome: observe.Failed, Route: route, Class: "workload"}},
		},
		{
			name:      "chain too old",
			token:     func(t *testing.T, f *fixture) token.Raw { return f.mint(t, scope.Workload, t0, time.Hour) },
			exchanges: firstAt(t0.Add(-refresh.DefaultMaxChainAge)),
			want:      []observe.Reissue{declined("workload", observe.ChainTooOld)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			raw := tc.token(t, f)
			iss := f.issuer
			if tc.broken {
				var err error
				iss, err = token.NewIssuer(token.IssuerConfig{
					Keys: f.key, Issuer: "iss", Audience: []string{"aud"}, Now: f.clock.Now, Rand: failingReader{},
				})
				require.NoError(t, err)
			}
			rec := new(testkit.Events[observe.Reissue])
			re, err := refresh.NewReissuer(refresh.ReissuerConfig{
				Issuer: iss, Now: f.clock.Now, Logger: newDiscard(), Exchanges: tc.exchanges,
				Hooks: &observe.Hooks{OnReissue: rec.Add, Now: testkit.StepClock(at, hookStep)},
			})
			require.NoError(t, err)
			mux := http.NewServeMux()
			mux.Handle(route, authenticate(f.verifier, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := re.Exchange(w, r); err != nil {
					w.WriteHeader(http.StatusConflict)
				}
			})))
			req := httptest.NewRequest(http.MethodPatch, "/tasks/1/run", nil)
			req.Header.Set("Authorization", "Bearer "+string(raw))
			mux.ServeHTTP(httptest.NewRecorder(), req)

			events := rec.All()
			for i := range events {
				if tc.want[i].Outcome == observe.Failed {
					require.ErrorIs(t, events[i].Err, tc.wantErr)
					events[i].Err = nil
				}
			}
			assert.Equal(t, tc.want, events)
		})
	}
}

// pinnedSource is a pinned Source of one token.
type pinnedSource token.Raw

func (s pinnedSource) Token(context.Context) (token.Raw, error) { return token.Raw(s), nil }
func (pinnedSource) Pinned() bool                               { return true }

func TestHooksSwap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		source  refresh.Source
		refresh []string
		code    int
		want    []observe.Swap
		next    token.Raw // what the Transport sends next
	}{
		{"swapped", refresh.StaticSource(tokA), []string{string(tokB)}, 0,
			[]observe.Swap{{Status: 200, Outcome: observe.Swapped}}, tokB},
		{"swapped with an error status", refresh.StaticSource(tokA), []string{string(tokB)}, http.StatusConflict,
			[]observe.Swap{{Status: 409, Outcome: observe.Swapped}}, tokB},
		{"pinned", pinnedSource(tokA), []string{string(tokB)}, 0,
			[]observe.Swap{{Status: 200, Outcome: observe.Pinned}}, tokA},
		{"two values", refresh.StaticSource(tokA), []string{string(tokB), string(tokC)}, 0,
			[]observe.Swap{{Status: 200, Outcome: observe.Malformed}}, tokA},
		{"not a compact JWS", refresh.StaticSource(tokA), []string{"not-a-token"}, 0,
			[]observe.Swap{{Status: 200, Outcome: observe.Malformed}}, tokA},
		{"no header, nothing reported", refresh.StaticSource(tokA), nil, 0, nil, tokA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAPI(t, tokA, tokB)
			a.set(func(a *api) { a.refresh, a.code = tc.refresh, tc.code })
			rec := new(testkit.Events[observe.Swap])
			tr, err := refresh.NewTransport(refresh.TransportConfig{
				Base: a.srv.Client().Transport, Source: tc.source, BaseURL: a.srv.URL,
				Hooks: &observe.Hooks{OnSwap: rec.Add},
			})
			require.NoError(t, err)
			client := &http.Client{Transport: tr}
			get(t, client, a.srv.URL+"/x").Body.Close()
			for i := range tc.want {
				tc.want[i].Origin = a.srv.URL
			}
			assert.Equal(t, tc.want, rec.All())

			a.set(func(a *api) { a.refresh = nil })
			get(t, client, a.srv.URL+"/x").Body.Close()
			seen := a.seen()
			assert.Equal(t, "Bearer "+string(tc.next), seen[len(seen)-1].auth)
		})
	}
}

// failingReload is a Source whose Reload fails.
type failingReload struct{}

func (failingReload) Token(context.Context) (token.Raw, error)  { return tokA, nil }
func (failingReload) Reload(context.Context) (token.Raw, error) { return "", errors.New("source down") }

func TestHooksRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		source refresh.Source
		accept []token.Raw
		post   bool // a body without GetBody
		want   observe.Retry
	}{
		{"retried", &reloader{toks: []token.Raw{tokA, tokB}}, []token.Raw{tokB}, false,
			observe.Retry{Outcome: observe.Retried, Status: 200}},
		{"retried, refused again", &reloader{toks: []token.Raw{tokA, tokB}}, nil, false,
			observe.Retry{Outcome: observe.Retried, Status: 401}},
		{"no newer token", refresh.StaticSource(tokA), nil, false,
			observe.Retry{Outcome: observe.Unchanged}},
		{"source error", failingReload{}, nil, false,
			observe.Retry{Outcome: observe.SourceError}},
		{"body without GetBody", &reloader{toks: []token.Raw{tokA, tokB}}, []token.Raw{tokB}, true,
			observe.Retry{Outcome: observe.NotReplayable}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAPI(t, tc.accept...)
			rec := new(testkit.Events[observe.Retry])
			tr, err := refresh.NewTransport(refresh.TransportConfig{
				Base: a.srv.Client().Transport, Source: tc.source, BaseURL: a.srv.URL,
				Hooks: &observe.Hooks{OnRetry: rec.Add},
			})
			require.NoError(t, err)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, a.srv.URL+"/x", nil)
			require.NoError(t, err)
			if tc.post {
				req, err = http.NewRequestWithContext(t.Context(), http.MethodPost, a.srv.URL+"/x", strings.NewReader("body"))
				require.NoError(t, err)
				req.GetBody = nil
			}
			res, err := tr.RoundTrip(req)
			require.NoError(t, err)
			res.Body.Close()
			tc.want.Origin = a.srv.URL
			assert.Equal(t, []observe.Retry{tc.want}, rec.All())
		})
	}
}

func TestHooksFileRead(t *testing.T) {
	t.Parallel()
	c := authtest.NewClock(t0)
	path := filepath.Join(t.TempDir(), "token")
	require.NoError(t, refresh.WriteTokenFile(path, tokA))
	rec := new(testkit.Events[observe.FileRead])
	var src *refresh.FileSource
	hooks := &observe.Hooks{OnFileRead: func(ctx context.Context, e observe.FileRead) {
		rec.Add(ctx, e)
		_, _ = src.Token(ctx) // the lock is not held while hooks run
	}}
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{
		Path: path, CacheFor: 10 * time.Second, Now: c.Now, Logger: newDiscard(), Hooks: hooks,
	})
	require.NoError(t, err)
	assert.Empty(t, rec.All(), "the first read is NewFileSource's")

	tokenAt(t, src)
	assert.Empty(t, rec.All(), "a cached token is no read")

	require.NoError(t, refresh.WriteTokenFile(path, tokB))
	c.Advance(10 * time.Second)
	assert.Equal(t, tokB, tokenAt(t, src))
	c.Advance(10 * time.Second)
	assert.Equal(t, tokB, tokenAt(t, src))
	require.NoError(t, os.Remove(path))
	_, err = src.Reload(t.Context())
	require.NoError(t, err)

	events := rec.All()
	require.Len(t, events, 3)
	assert.Equal(t, observe.FileRead{Path: path, Changed: true}, events[0])
	assert.Equal(t, observe.FileRead{Path: path}, events[1])
	assert.Equal(t, path, events[2].Path)
	assert.True(t, events[2].Forced)
	assert.False(t, events[2].Changed)
	require.ErrorIs(t, events[2].Err, os.ErrNotExist)
}

func newDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// A panicking hook changes nothing: the token is still reissued.
func TestHooksReissuePanicContained(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := f.dueToken(t)
	hooks := &observe.Hooks{
		OnReissue: func(context.Context, observe.Reissue) { panic("hook") },
		Logger:    newDiscard(),
	}
	re, err := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: f.issuer, Now: f.clock.Now, Hooks: hooks})
	require.NoError(t, err)
	res := callTask(authenticate(f.verifier, re.Middleware(ok)), raw)
	assert.Equal(t, http.StatusOK, res.Code)
	assert.NotEmpty(t, res.Header().Get(refresh.DefaultHeader))
	assert.EqualValues(t, 1, hooks.Panics())
}

// firstAt is a first-exchange record that says the chain began at.
type firstAt time.Time

func (f firstAt) FirstExchange(context.Context, string, time.Time, time.Time) (time.Time, error) {
	return time.Time(f), nil
}
