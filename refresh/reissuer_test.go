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

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

func (f *fixture) reissuer(t testing.TB, mod func(*refresh.ReissuerConfig)) *refresh.Reissuer {
	t.Helper()
	cfg := refresh.ReissuerConfig{Issuer: f.issuer, Now: f.clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	re, err := refresh.NewReissuer(cfg)
	require.NoError(t, err)
	return re
}

// dueToken mints a ten-minute execution token at t0 and moves the clock to
// ten seconds before its exp: inside the reissue window.
func (f *fixture) dueToken(t testing.TB) token.Raw {
	t.Helper()
	raw := f.mint(t, scope.Execution, t0, 10*time.Minute)
	f.clock.Set(t0.Add(10*time.Minute - 10*time.Second))
	return raw
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
		cfg    func(*refresh.ReissuerConfig)
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
				foreign := testkit.Key(t, jwks.ES256, "")
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
			cfg:  func(c *refresh.ReissuerConfig) { c.MaxChainAge = 5 * time.Minute },
		},
		{
			name: "Allow declines",
			cfg:  func(c *refresh.ReissuerConfig) { c.Allow = func(*http.Request, *token.Claims) bool { return false } },
		},
		{
			name: "Allow panics",
			cfg: func(c *refresh.ReissuerConfig) {
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
			logs := new(testkit.Buffer)
			re := f.reissuer(t, func(cfg *refresh.ReissuerConfig) {
				cfg.Logger = logs.Logger()
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
	raw := f.dueToken(t)
	logs := new(testkit.Buffer)
	re := f.reissuer(t, func(c *refresh.ReissuerConfig) {
		c.Logger = logs.Logger()
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
	raw := f.dueToken(t)
	c := f.verify(t, raw)
	var seen string
	re := f.reissuer(t, func(cfg *refresh.ReissuerConfig) {
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

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestMiddlewareReissueFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := f.dueToken(t)
	broken, err := token.NewIssuer(token.IssuerConfig{
		Keys: f.key, Issuer: "iss", Audience: []string{"aud"}, Now: f.clock.Now, Rand: failingReader{},
	})
	require.NoError(t, err)
	logs := new(testkit.Buffer)
	re, err := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: broken, Logger: logs.Logger(), Now: f.clock.Now})
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
	raw := f.dueToken(t)
	re := f.reissuer(t, func(c *refresh.ReissuerConfig) { c.Header = "X-New-Token" })
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
			assert.JSONEq(t, tc.wantAud, string(testkit.Payload(t, next)["aud"]))
		})
	}
}

func TestNewReissuerConfig(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name string
		cfg  refresh.ReissuerConfig
	}{
		{name: "no issuer", cfg: refresh.ReissuerConfig{}},
		{name: "negative MaxChainAge", cfg: refresh.ReissuerConfig{Issuer: f.issuer, MaxChainAge: -time.Second}},
		{name: "header with space", cfg: refresh.ReissuerConfig{Issuer: f.issuer, Header: "Refreshed Token"}},
		{name: "header with colon", cfg: refresh.ReissuerConfig{Issuer: f.issuer, Header: "X-Token:"}},
		{name: "header with CRLF", cfg: refresh.ReissuerConfig{Issuer: f.issuer, Header: "X\r\nSet-Cookie"}},
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

// TestMiddlewareExpiresDuringRequest: a due token that expires while its
// request runs (a long heartbeat, a slow upload) is still reissued: the
// decision is made at admission, so the worker does not end up holding a
// dead token. Every other rule still applies after the handler.
func TestMiddlewareExpiresDuringRequest(t *testing.T) {
	t.Parallel()
	const life = 600 * time.Second
	tests := []struct {
		name   string
		status int
		cfg    func(*refresh.ReissuerConfig)
		want   bool
	}{
		{name: "200 after exp", status: http.StatusOK, want: true},
		{name: "204 after exp", status: http.StatusNoContent, want: true},
		{name: "409 after exp", status: http.StatusConflict},
		{name: "500 after exp", status: http.StatusInternalServerError},
		{name: "Allow declines after exp", status: http.StatusOK,
			cfg: func(c *refresh.ReissuerConfig) { c.Allow = func(*http.Request, *token.Claims) bool { return false } }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			raw := mintWith(t, f.issuer, token.Claims{
				Scope: scope.Set{scope.Execution}, IssuedAt: t0, ExpiresAt: t0.Add(life), AuthTime: t0,
			})
			f.clock.Set(t0.Add(life - 10*time.Second)) // due at admission
			c := f.verify(t, raw)
			slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				f.clock.Advance(time.Minute) // the handler runs past exp
				w.WriteHeader(tc.status)
			})
			rec := serve(f.reissuer(t, tc.cfg), c, slow)
			require.Equal(t, tc.status, rec.Code)
			next := rec.Header().Get(refresh.DefaultHeader)
			if !tc.want {
				assert.Empty(t, next)
				return
			}
			require.NotEmpty(t, next)
			require.True(t, f.clock.Now().After(c.ExpiresAt), "the old token is dead")
			got := f.verify(t, token.Raw(next)) // valid now, after the handler
			assert.Equal(t, c.Subject, got.Subject)
			assert.True(t, got.AuthTime.Equal(t0), "same chain")
			assert.True(t, got.ExpiresAt.After(f.clock.Now()))
		})
	}

	// A token already past exp when the request comes in is never reissued,
	// however the handler ends.
	f := newFixture(t)
	raw := f.mint(t, scope.Execution, t0, life)
	f.clock.Set(t0.Add(life + 5*time.Second))
	rec := serve(f.reissuer(t, nil), f.verify(t, raw), ok)
	assert.Empty(t, rec.Header().Get(refresh.DefaultHeader))
}
