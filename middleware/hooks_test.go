package middleware_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

func TestErrorHandlerGetsError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	expired := f.mint(t, token.Claims{
		Subject: taskA.String(), Scope: scope.Set{scope.Execution},
		IssuedAt: now.Add(-20 * time.Minute), ExpiresAt: now.Add(-10 * time.Minute),
	})
	tests := []struct {
		name       string
		verifier   *token.Verifier
		header     []string
		wantErr    error
		wantStatus int
		wantCode   string
		wantScope  string
		wantRetry  time.Duration
	}{
		{"no credentials", f.verifier, nil, middleware.ErrNoCredentials, 401, "", "", 0},
		{"malformed", f.verifier, []string{"Bearer a b"}, middleware.ErrInvalidRequest, 400, middleware.CodeInvalidRequest, "", 0},
		{"expired", f.verifier, []string{bearer(expired)}, token.ErrExpired, 401, middleware.CodeInvalidToken, "", 0},
		{"signature", f.verifier, []string{bearer(expired[:len(expired)-8] + "AAAAAAAA")}, token.ErrSignature, 401, middleware.CodeInvalidToken, "", 0},
		{"class", f.verifier, []string{bearer(f.workload(t, taskA))}, middleware.ErrInsufficientScope, 403, middleware.CodeInsufficientScope, "execution", 0},
		{"keys unavailable", newVerifier(t, unavailable), []string{bearer(expired)}, token.ErrKeysUnavailable, 503, "", "", 7 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got error
			next := new(counter)
			h := middleware.Authenticate(middleware.Config{
				Verifier:   tc.verifier,
				RetryAfter: 7 * time.Second,
				ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
					got = err
					w.WriteHeader(http.StatusTeapot)
				},
			})(next)
			rec := get(h, "/x", tc.header...)
			assert.Equal(t, http.StatusTeapot, rec.Code, "the hook answers")
			assert.Zero(t, next.n.Load())
			require.ErrorIs(t, got, tc.wantErr)
			var e *middleware.Error
			require.ErrorAs(t, got, &e)
			assert.Equal(t, tc.wantStatus, e.Status)
			assert.Equal(t, tc.wantCode, e.Code)
			assert.Equal(t, tc.wantScope, e.Scope)
			assert.Equal(t, tc.wantRetry, e.RetryAfter)
		})
	}
}

func TestErrorHandlerCanDelegate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	var calls int
	h := middleware.Authenticate(middleware.Config{
		Verifier: f.verifier,
		Realm:    "hooked",
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			calls++
			middleware.WriteError(w, err, "hooked")
		},
	})(new(counter))
	rec := get(h, "/x", "Bearer abc")
	assert.Equal(t, 1, calls)
	assertGolden(t, golden{401, `Bearer realm="hooked", error="invalid_token"`, "", `{"detail":"Invalid token"}`}, rec)
}

func TestExtract(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	exe := f.execution(t, taskA)
	errHost := errors.New("host: two token parameters")
	// fromQuery is the documented opt-in: the header first, then ?token=.
	fromQuery := func(r *http.Request) (string, error) {
		tok, err := middleware.FromHeader(r)
		if !errors.Is(err, middleware.ErrNoCredentials) {
			return tok, err
		}
		q := r.URL.Query()["token"]
		if len(q) > 1 {
			return "", errHost
		}
		return strings.Join(q, ""), nil
	}
	tests := []struct {
		name    string
		target  string
		header  []string
		wantErr error // nil: accepted
	}{
		{"query token", "/x?token=" + exe, nil, nil},
		{"header still works", "/x", []string{bearer(exe)}, nil},
		{"header rules still apply", "/x?token=" + exe, []string{"Bearer\t" + exe}, middleware.ErrInvalidRequest},
		{"nothing", "/x", nil, middleware.ErrNoCredentials},
		{"empty query value", "/x?token=", nil, middleware.ErrNoCredentials},
		{"host error is a bad request", "/x?token=a&token=b", nil, errHost},
		{"query token verified", "/x?token=abc", nil, token.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got error
			next := new(counter)
			h := middleware.Authenticate(middleware.Config{
				Verifier: f.verifier,
				Extract:  fromQuery,
				ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
					got = err
					middleware.WriteError(w, err, "")
				},
			})(next)
			rec := get(h, tc.target, tc.header...)
			if tc.wantErr == nil {
				assert.Equal(t, http.StatusOK, rec.Code)
				assert.Equal(t, int64(1), next.n.Load())
				return
			}
			require.ErrorIs(t, got, tc.wantErr)
			assert.Zero(t, next.n.Load())
			if errors.Is(got, errHost) {
				require.ErrorIs(t, got, middleware.ErrInvalidRequest)
				assertGolden(t, badReq, rec)
			}
		})
	}
}
