package middleware

import (
	"net/http"

	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// RequireScopes returns middleware, to run inside [Authenticate], that admits
// only tokens carrying every one of scopes (exact, case-sensitive match).
// Otherwise it answers 403 insufficient_scope with scope="<scopes, space
// separated>". Rejections are answered and logged as the enclosing
// Authenticate's Config says; without Authenticate around it (no claims in
// the context) it fails closed with 401.
//
// It panics with a "middleware:" message when scopes is empty, malformed or
// has duplicates. The middleware is safe for concurrent use.
func RequireScopes(scopes ...scope.Scope) func(http.Handler) http.Handler {
	required, err := scope.New(scopes...)
	if err != nil {
		panic("middleware: RequireScopes: " + err.Error())
	}
	return requirement(ErrInsufficientScope, required.String(), func(c *token.Claims, _ *http.Request) bool {
		return c.Scope.HasAll(required...)
	})
}

// RequireSubject returns middleware, to run inside [Authenticate], that
// admits only tokens whose sub equals the request's path value name exactly,
// as in "PUT /task-instances/{id}/heartbeat" with RequireSubject("id"): a task
// may act only on itself. Otherwise, an empty path value included, it answers
// 403 insufficient_scope (no scope attribute: no scope would help). Rejections
// are answered as for [RequireScopes]; without claims it fails closed with 401.
// It reads [http.Request.PathValue], which http.ServeMux and chi v5.0.12 and
// later set; with another router use [RequireSubjectFunc].
//
// It panics with a "middleware:" message when name is empty. The middleware is
// safe for concurrent use.
func RequireSubject(name string) func(http.Handler) http.Handler {
	if name == "" {
		panic("middleware: RequireSubject: empty path value name")
	}
	return RequireSubjectFunc(func(r *http.Request) string { return r.PathValue(name) })
}

// RequireSubjectFunc is [RequireSubject] for routers that keep path values
// elsewhere than [http.Request.PathValue] (chi before v5.0.12, gorilla/mux):
// value returns the path value the token's sub must equal, e.g.
//
//	middleware.RequireSubjectFunc(func(r *http.Request) string { return mux.Vars(r)["id"] })
//
// It runs after the router matched, so the router's own context is there. An
// empty value is refused as for RequireSubject.
//
// It panics with a "middleware:" message when value is nil. The middleware is
// safe for concurrent use if value is.
func RequireSubjectFunc(value func(r *http.Request) string) func(http.Handler) http.Handler {
	if value == nil {
		panic("middleware: RequireSubjectFunc: nil value function")
	}
	return requirement(ErrSubjectMismatch, "", func(c *token.Claims, r *http.Request) bool {
		v := value(r)
		return v != "" && v == c.Subject
	})
}

// requirement adapts a check on verified claims to middleware that renders
// through the enclosing Authenticate. A failed check is a 403
// insufficient_scope with cause and the scope attribute attr.
func requirement(cause error, attr string, check func(*token.Claims, *http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: nil next handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g := guardFrom(r)
			c, ok := token.FromContext(r.Context())
			if !ok {
				g.refuse(w, r, nil, &Error{Status: http.StatusUnauthorized, Err: ErrNoClaims})
				return
			}
			if !check(c, r) {
				g.refuse(w, r, c, &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Scope: attr, Err: cause})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
