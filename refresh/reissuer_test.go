package refresh_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

func (f *fixture) reissuer(t testing.TB, mod func(*refresh.Config)) *refresh.Reissuer {
	t.Helper()
	cfg := refresh.Config{Issuer: f.issuer, Now: f.clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	re, err := refresh.NewReissuer(cfg)
	require.NoError(t, err)
	return re
}

// serve runs h behind re.Middleware with c (if any) in the request context.
func serve(re *refresh.Reissuer, c *token.Claims, h http.Handler) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/task", nil)
	if c != nil {
		req = req.WithContext(token.NewContext(req.Context(), c))
	}
	rec := httptest.NewRecorder()
	re.Middleware(h).ServeHTTP(rec, req)
	return rec
}

func status(code int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = w.Write([]byte("body"))
	})
}

var ok = status(http.StatusOK)

// TestMiddlewareWindow is Airflow's boundary table: a token is due when
// exp - now <= max(20% of its lifetime, 30s), boundary included.
func TestMiddlewareWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		life, left time.Duration
		want       bool
	}{
		{life: 60 * time.Second, left: 35 * time.Second, want: false},
		{life: 60 * time.Second, left: 31 * time.Second, want: false},
		{life: 60 * time.Second, left: 30 * time.Second, want: true},
		{life: 60 * time.Second, left: 29 * time.Second, want: true},
		{life: 600 * time.Second, left: 200 * time.Second, want: false},
		{life: 600 * time.Second, left: 121 * time.Second, want: false},
		{life: 600 * time.Second, left: 120 * time.Second, want: true},
		{life: 600 * time.Second, left: 1 * time.Second, want: true},
		{life: 600 * time.Second, left: time.Millisecond, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.life.String()+"/"+tc.left.String(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			raw := f.mint(t, scope.Execution, t0, tc.life)
			f.clock.Set(t0.Add(tc.life - tc.left))
			rec := serve(f.reissuer(t, nil), f.verify(t, raw), ok)
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, tc.want, rec.Header().Get(refresh.DefaultHeader) != "")
		})
	}
}

// TestMiddlewareNever builds each token the rules refuse to extend and
// asserts that no header comes back, against a control that does get one.
func TestMiddlewareNever(t *testing.T) {
	t.Parallel()
	const life = 600 * time.Second
	dueAt := t0.Add(life - 10*time.Second)
	tests := []struct {
		name   string
		claims func(t *testing.T, f *fixture) *token.Claims
		cfg    func(*refresh.Config)
		want   bool
	}{
		{
			name: "control: due execution token",
			want: true,
		},
		{
			name: "workload token",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				return f.verify(t, f.mint(t, scope.Workload, t0, life))
			},
		},
		{
			name: "processor token",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				raw := mintWith(t, f.issuer, token.Claims{
					Subject: "dag-processor", Scope: scope.Set{scope.Processor}, IssuedAt: t0, ExpiresAt: t0.Add(life),
				})
				return f.verify(t, raw)
			},
		},
		{
			name: "at exp, inside verifier leeway",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				raw := f.mint(t, scope.Execution, t0, life)
				f.clock.Set(t0.Add(life))
				return f.verify(t, raw)
			},
		},
		{
			name: "past exp, inside verifier leeway",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				raw := f.mint(t, scope.Execution, t0, life)
				f.clock.Set(t0.Add(life + 5*time.Second))
				return f.verify(t, raw)
			},
		},
		{
			name: "foreign issuer with a held key",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				raw := mintWith(t, f.newIssuer(t, "other", f.key), token.Claims{
					Scope: scope.Set{scope.Execution}, IssuedAt: t0, ExpiresAt: t0.Add(life),
				})
				c, err := newVerifier(t, "other", f.clock, f.key.Public()).Verify(t.Context(), string(raw))
				require.NoError(t, err)
				return c
			},
		},
		{
			name: "trusted key the issuer does not hold",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				foreign := newKey(t)
				raw := mintWith(t, f.newIssuer(t, "iss", foreign), token.Claims{
					Scope: scope.Set{scope.Execution}, IssuedAt: t0, ExpiresAt: t0.Add(life),
				})
				c, err := newVerifier(t, "iss", f.clock, f.key.Public(), foreign.Public()).Verify(t.Context(), string(raw))
				require.NoError(t, err)
				require.Equal(t, foreign.ID(), c.KeyID())
				return c
			},
		},
		{
			name: "claims not from Verify (no kid)",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				return &token.Claims{
					Issuer: "iss", Subject: uuid.NewString(), Audience: []string{"aud"},
					Scope: scope.Set{scope.Execution}, IssuedAt: t0, ExpiresAt: t0.Add(life),
				}
			},
		},
		{
			name: "chain at MaxChainAge since auth_time",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				raw := mintWith(t, f.issuer, token.Claims{
					Scope: scope.Set{scope.Execution}, IssuedAt: t0, ExpiresAt: t0.Add(life),
					AuthTime: dueAt.Add(-refresh.DefaultMaxChainAge),
				})
				return f.verify(t, raw)
			},
		},
		{
			name: "control: chain a second younger than MaxChainAge",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				raw := mintWith(t, f.issuer, token.Claims{
					Scope: scope.Set{scope.Execution}, IssuedAt: t0, ExpiresAt: t0.Add(life),
					AuthTime: dueAt.Add(-refresh.DefaultMaxChainAge + time.Second),
				})
				return f.verify(t, raw)
			},
			want: true,
		},
		{
			name: "chain without auth_time is as old as its iat",
			cfg:  func(c *refresh.Config) { c.MaxChainAge = 5 * time.Minute },
		},
		{
			name: "Allow declines",
			cfg:  func(c *refresh.Config) { c.Allow = func(*http.Request, *token.Claims) bool { return false } },
		},
		{
			name: "Allow panics",
			cfg: func(c *refresh.Config) {
				c.Allow = func(*http.Request, *token.Claims) bool { panic("task store down") }
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.clock.Set(dueAt)
			var c *token.Claims
			if tc.claims != nil {
				c = tc.claims(t, f)
			} else {
				c = f.verify(t, f.mint(t, scope.Execution, t0, life))
			}
			log, logs := newLogger()
			re := f.reissuer(t, func(cfg *refresh.Config) {
				cfg.Logger = log
				if tc.cfg != nil {
					tc.cfg(cfg)
				}
			})
			rec := serve(re, c, ok)
			assert.Equal(t, http.StatusOK, rec.Code, "the response goes on")
			assert.Equal(t, "body", rec.Body.String())
			assert.Equal(t, tc.want, rec.Header().Get(refresh.DefaultHeader) != "")
			assert.NotContains(t, logs.String(), c.Subject)
		})
	}
}

func TestMiddlewareAllowPanicLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := f.mint(t, scope.Execution, t0, 600*time.Second)
	f.clock.Set(t0.Add(590 * time.Second))
	log, logs := newLogger()
	re := f.reissuer(t, func(c *refresh.Config) {
		c.Logger = log
		c.Allow = func(_ *http.Request, c *token.Claims) bool { panic("subject " + c.Subject) }
	})
	c := f.verify(t, raw)

	rec := serve(re, c, ok)

	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Header().Get(refresh.DefaultHeader))
	assert.Contains(t, logs.String(), "Allow panicked")
	assert.NotContains(t, logs.String(), c.Subject, "the panic value may hold claims")
	assert.NotContains(t, logs.String(), string(raw))
}

func TestMiddlewareAllowSeesClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := f.mint(t, scope.Execution, t0, 600*time.Second)
	f.clock.Set(t0.Add(590 * time.Second))
	c := f.verify(t, raw)
	var seen string
	re := f.reissuer(t, func(cfg *refresh.Config) {
		cfg.Allow = func(_ *http.Request, got *token.Claims) bool {
			seen = got.Subject
			got.Subject = "tampered" // must not change what is reissued
			return true
		}
	})

	rec := serve(re, c, ok)

	assert.Equal(t, c.Subject, seen)
	next, err := f.verifier.Verify(t.Context(), rec.Header().Get(refresh.DefaultHeader))
	require.NoError(t, err)
	assert.Equal(t, c.Subject, next.Subject)
}

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
			raw := f.mint(t, scope.Execution, t0, 600*time.Second)
			f.clock.Set(t0.Add(590 * time.Second))
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
			raw := f.mint(t, scope.Execution, t0, 600*time.Second)
			f.clock.Set(t0.Add(590 * time.Second))
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
	raw := f.mint(t, scope.Execution, t0, 600*time.Second)
	f.clock.Set(t0.Add(590 * time.Second))
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
	raw := f.mint(t, scope.Execution, t0, 600*time.Second)
	f.clock.Set(t0.Add(590 * time.Second))
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

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestMiddlewareReissueFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := f.mint(t, scope.Execution, t0, 600*time.Second)
	f.clock.Set(t0.Add(590 * time.Second))
	broken, err := token.NewIssuer(token.IssuerConfig{
		Keys: f.key, Issuer: "iss", Audience: []string{"aud"}, Now: f.clock.Now, Rand: failingReader{},
	})
	require.NoError(t, err)
	log, logs := newLogger()
	re, err := refresh.NewReissuer(refresh.Config{Issuer: broken, Logger: log, Now: f.clock.Now})
	require.NoError(t, err)
	c := f.verify(t, raw)

	rec := serve(re, c, ok)

	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "body", rec.Body.String())
	assert.Empty(t, rec.Header().Get(refresh.DefaultHeader))
	assert.Contains(t, logs.String(), "reissue failed")
	assert.NotContains(t, logs.String(), string(raw))
	assert.NotContains(t, logs.String(), c.Subject)
}

func TestMiddlewareNoClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rec := serve(f.reissuer(t, nil), nil, ok)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Header().Get(refresh.DefaultHeader))
}

func TestMiddlewareHeaderName(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := f.mint(t, scope.Execution, t0, 600*time.Second)
	f.clock.Set(t0.Add(590 * time.Second))
	re := f.reissuer(t, func(c *refresh.Config) { c.Header = "X-New-Token" })
	rec := serve(re, f.verify(t, raw), ok)
	assert.NotEmpty(t, rec.Header().Get("X-New-Token"))
	assert.Empty(t, rec.Header().Get(refresh.DefaultHeader))
}

// TestReissuedToken checks what a successor keeps and what it renews.
func TestReissuedToken(t *testing.T) {
	t.Parallel()
	const life = 600 * time.Second
	tests := []struct {
		name    string
		mint    func(t *testing.T, f *fixture) token.Raw
		wantAud string // JSON form of aud
	}{
		{
			name: "one audience stays a string",
			mint: func(t *testing.T, f *fixture) token.Raw {
				return f.mint(t, scope.Execution, t0, life)
			},
			wantAud: `"aud"`,
		},
		{
			name: "two audiences stay an array",
			mint: func(t *testing.T, f *fixture) token.Raw {
				return mintWith(t, f.issuer, token.Claims{
					Audience: []string{"aud", "aud2"}, Scope: scope.Set{scope.Execution, "connections:read"},
					IssuedAt: t0, ExpiresAt: t0.Add(life), AuthTime: t0.Add(-time.Hour),
				})
			},
			wantAud: `["aud","aud2"]`,
		},
		{
			name: "one audience in an array stays an array",
			mint: func(t *testing.T, f *fixture) token.Raw {
				tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
					"iss": "iss", "sub": uuid.NewString(), "aud": []string{"aud"}, "iat": t0.Unix(),
					"exp": t0.Add(life).Unix(), "jti": "0123456789abcdef0123456789abcdef", "scope": "execution",
				})
				tok.Header["kid"] = f.key.ID()
				s, err := tok.SignedString(f.key.Private())
				require.NoError(t, err)
				return token.Raw(s)
			},
			wantAud: `["aud"]`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			raw := tc.mint(t, f)
			f.clock.Set(t0.Add(life - 10*time.Second))
			old := f.verify(t, raw)

			rec := serve(f.reissuer(t, nil), old, ok)

			next := rec.Header().Get(refresh.DefaultHeader)
			require.NotEmpty(t, next)
			c, err := f.verifier.Verify(t.Context(), next)
			require.NoError(t, err)
			assert.Equal(t, old.Subject, c.Subject)
			assert.Equal(t, old.Scope, c.Scope)
			assert.Equal(t, old.Issuer, c.Issuer)
			assert.NotEqual(t, old.ID, c.ID)
			assert.True(t, c.ExpiresAt.After(old.ExpiresAt))
			assert.WithinDuration(t, f.clock.Now(), c.IssuedAt, 0)
			wantAuth := old.AuthTime
			if wantAuth.IsZero() {
				wantAuth = old.IssuedAt // a chain without auth_time is anchored at iat
			}
			assert.WithinDuration(t, wantAuth, c.AuthTime, 0)
			assert.JSONEq(t, tc.wantAud, string(payload(t, next)["aud"]))
		})
	}
}

func TestNewReissuerConfig(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name string
		cfg  refresh.Config
	}{
		{name: "no issuer", cfg: refresh.Config{}},
		{name: "negative MaxChainAge", cfg: refresh.Config{Issuer: f.issuer, MaxChainAge: -time.Second}},
		{name: "header with space", cfg: refresh.Config{Issuer: f.issuer, Header: "Refreshed Token"}},
		{name: "header with colon", cfg: refresh.Config{Issuer: f.issuer, Header: "X-Token:"}},
		{name: "header with CRLF", cfg: refresh.Config{Issuer: f.issuer, Header: "X\r\nSet-Cookie"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			re, err := refresh.NewReissuer(tc.cfg)
			require.ErrorIs(t, err, refresh.ErrConfig)
			assert.Nil(t, re)
		})
	}
}
