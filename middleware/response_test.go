package middleware_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/token"
)

func TestWriteError(t *testing.T) {
	t.Parallel()
	scoped := func(s string) golden {
		return golden{403, `Bearer realm="execution-api", error="insufficient_scope", scope="` + s + `"`, "", `{"detail":"Insufficient scope"}`}
	}
	bareForbidden := golden{403, `Bearer realm="execution-api", error="insufficient_scope"`, "", `{"detail":"Insufficient scope"}`}
	tests := []struct {
		name  string
		err   error
		realm string
		want  golden
	}{
		{"no credentials", middleware.ErrNoCredentials, "", noCreds},
		{"no claims", middleware.ErrNoClaims, "", noCreds},
		{"invalid request", fmt.Errorf("%w: detail", middleware.ErrInvalidRequest), "", badReq},
		{"token error", fmt.Errorf("%w: kid %q", token.ErrUnknownKey, "kid-zq9-main"), "", badTok},
		{"expired", token.ErrExpired, "", badTok},
		{"keys unavailable", token.ErrKeysUnavailable, "", noKeys},
		{"insufficient scope", middleware.ErrInsufficientScope, "", bareForbidden},
		{"subject mismatch", middleware.ErrSubjectMismatch, "", notSelf},
		{"binding mismatch", fmt.Errorf("host: %w", middleware.ErrBindingMismatch), "", notSelf},
		{"internal", middleware.ErrInternal, "", crashed},
		{"unclassified is a server bug", errors.New("boom"), "", crashed},
		{"nil", nil, "", crashed},
		{"config error", token.ErrConfig, "", crashed},
		{"wrapped Error", fmt.Errorf("hook: %w", &middleware.Error{Status: 401, Code: middleware.CodeInvalidToken, Err: token.ErrExpired}), "", badTok},
		{"Error with scope", &middleware.Error{Status: 403, Code: middleware.CodeInsufficientScope, Scope: "execution processor"}, "", scoped("execution processor")},
		{"Error with hostile scope dropped", &middleware.Error{Status: 403, Code: middleware.CodeInsufficientScope, Scope: `x", error="evil`}, "", bareForbidden},
		{"Error with doubled space scope dropped", &middleware.Error{Status: 403, Code: middleware.CodeInsufficientScope, Scope: "a  b"}, "", bareForbidden},
		{"Error with retry", &middleware.Error{Status: 503, RetryAfter: 30 * time.Second}, "", golden{503, "", "30", noKeys.body}},
		{"status and code disagree", &middleware.Error{Status: 401, Code: middleware.CodeInsufficientScope}, "", crashed},
		{"unknown code", &middleware.Error{Status: 401, Code: "evil"}, "", crashed},
		{"unknown status", &middleware.Error{Status: 418}, "", crashed},
		{"503 with code", &middleware.Error{Status: 503, Code: middleware.CodeInvalidToken}, "", crashed},
		{"custom realm", middleware.ErrNoCredentials, "tasks", golden{401, `Bearer realm="tasks"`, "", noCreds.body}},
		{"hostile realm falls back", middleware.ErrNoCredentials, "a\"\r\nSet-Cookie: x", noCreds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			middleware.WriteError(rec, tc.err, tc.realm)
			assertGolden(t, tc.want, rec)
			assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *middleware.Error
		want string
	}{
		{"token cause with detail", &middleware.Error{Status: 401, Code: middleware.CodeInvalidToken,
			Err: fmt.Errorf("%w: %w", token.ErrUnknownKey, fmt.Errorf("jwks: unknown key: kid %q", "kid-zq9-secret"))},
			"token: unknown key (HTTP 401 invalid_token)"},
		{"no code", &middleware.Error{Status: 401, Err: middleware.ErrNoCredentials},
			"middleware: no bearer credentials (HTTP 401)"},
		{"host cause", &middleware.Error{Status: 400, Code: middleware.CodeInvalidRequest,
			Err: fmt.Errorf("%w: %w", middleware.ErrInvalidRequest, errors.New("host: token=abc"))},
			"middleware: malformed bearer credentials (HTTP 400 invalid_request)"},
		{"unclassified", &middleware.Error{Status: 500, Err: errors.New("kid-zq9-secret")},
			"middleware: unclassified error (HTTP 500)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.err.Error())
			assert.Equal(t, tc.err.Err, errors.Unwrap(tc.err))
		})
	}
}
