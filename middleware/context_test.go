package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

type hostKey struct{}

// TestAuthenticateContext: the context the next handler gets carries the
// claims and the route requirements' settings, and otherwise behaves as
// the request's own: the host's values, its deadline and its cancellation
// come through, and values layered on top do not hide the claims.
func TestAuthenticateContext(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), hostKey{}, "host"))
	var (
		claims, layered *token.Claims
		host            any
		doneAfterCancel bool
	)
	inner := middleware.RequireScopes(scope.Execution)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		claims, _ = token.FromContext(ctx)
		layered, _ = token.FromContext(context.WithValue(ctx, hostKey{}, "shadow"))
		host = ctx.Value(hostKey{})
		child, stop := context.WithCancel(ctx)
		defer stop()
		cancel()
		<-child.Done()
		doneAfterCancel = ctx.Err() == context.Canceled
		w.WriteHeader(http.StatusNoContent)
	}))
	h := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Realm: "zq9-realm"})(inner)
	r := httptest.NewRequest(http.MethodGet, "/x", nil).WithContext(parent)
	r.Header.Set("Authorization", bearer(f.execution(t, taskA)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)

	require.Equal(t, http.StatusNoContent, rec.Code)
	require.NotNil(t, claims)
	assert.Equal(t, taskA.String(), claims.Subject)
	assert.Same(t, claims, layered)
	assert.Equal(t, "host", host)
	assert.True(t, doneAfterCancel, "cancellation of the request's context reaches the handler")

	// The route requirement answers with the enclosing Authenticate's realm,
	// which it finds in the same context value.
	deny := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Realm: "zq9-realm"})(
		middleware.RequireScopes("connections:write")(reply(http.StatusNoContent)))
	rec = get(deny, "/x", bearer(f.execution(t, taskA)))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `realm="zq9-realm"`)
}

// TestAuthenticateContextKeepsNoRequest: a handler may keep its request's
// context after it returns (background work under context.WithoutCancel,
// say). That context keeps the claims, but not the request the handler got,
// whose headers hold the bearer token.
func TestAuthenticateContextKeepsNoRequest(t *testing.T) {
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	var (
		kept context.Context
		req  weak.Pointer[http.Request]
	)
	h := middleware.Authenticate(middleware.Config{Verifier: f.verifier})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept, req = context.WithoutCancel(r.Context()), weak.Make(r)
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := get(h, "/x", bearer(f.execution(t, taskA)))
	require.Equal(t, http.StatusNoContent, rec.Code)

	runtime.GC()
	claims, ok := token.FromContext(kept)
	require.True(t, ok)
	assert.Equal(t, taskA.String(), claims.Subject)
	assert.Nil(t, req.Value(), "the kept context holds the request")
}
