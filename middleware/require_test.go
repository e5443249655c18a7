package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

func TestRequireScopes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	withScopes := func(s ...scope.Scope) string {
		return f.mint(t, token.Claims{Subject: taskA.String(), Scope: append(scope.Set{scope.Execution}, s...)})
	}
	forbidden := golden{403, `Bearer realm="execution-api", error="insufficient_scope", scope="connections:read variables:read"`, "",
		`{"detail":"Insufficient scope"}`}
	tests := []struct {
		name string
		tok  string
		want *golden // nil: admitted
	}{
		{"all scopes", withScopes("connections:read", "variables:read"), nil},
		{"all scopes, other order, extra", withScopes("other", "variables:read", "connections:read"), nil},
		{"one missing", withScopes("connections:read"), &forbidden},
		{"none", withScopes(), &forbidden},
		{"case differs", withScopes("Connections:read", "variables:read"), &forbidden},
		{"prefix only", withScopes("connections", "variables:read"), &forbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := new(counter)
			h := middleware.Authenticate(middleware.Config{Verifier: f.verifier})(
				middleware.RequireScopes("connections:read", "variables:read")(next))
			rec := get(h, "/x", bearer(tc.tok))
			assertOutcome(t, tc.want, rec, next)
		})
	}
}

func TestRequireSubject(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	mine := f.execution(t, taskA)
	tests := []struct {
		name    string
		pattern string
		target  string
		tok     string
		want    *golden // nil: admitted
	}{
		{"own task", "PUT /tasks/{id}/heartbeat", "/tasks/" + taskA.String() + "/heartbeat", mine, nil},
		{"another task", "PUT /tasks/{id}/heartbeat", "/tasks/" + taskB.String() + "/heartbeat", mine, &notSelf},
		{"upper-case path", "PUT /tasks/{id}/heartbeat", "/tasks/7D1E4C2A-9B3F-4E8D-A6C5-1F2E3D4C5B6A/heartbeat", mine, &notSelf},
		{"path with suffix", "PUT /tasks/{id}/heartbeat", "/tasks/" + taskA.String() + "x/heartbeat", mine, &notSelf},
		{"no such wildcard", "PUT /tasks/{other}/heartbeat", "/tasks/" + taskA.String() + "/heartbeat", mine, &notSelf},
		{"empty remainder", "PUT /tasks/{id...}", "/tasks/", mine, &notSelf},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := new(counter)
			mux := http.NewServeMux()
			mux.Handle(tc.pattern, middleware.Authenticate(middleware.Config{Verifier: f.verifier})(
				middleware.RequireSubject("id")(next)))
			r := httptest.NewRequest(http.MethodPut, tc.target, nil)
			r.Header.Set("Authorization", bearer(tc.tok))
			rec := serve(mux, r)
			assertOutcome(t, tc.want, rec, next)
		})
	}
}

// TestRequirementsWithoutAuthenticate: a route that forgot Authenticate fails
// closed, even when the request carries a valid token.
func TestRequirementsWithoutAuthenticate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	tests := []struct {
		name string
		mw   func(http.Handler) http.Handler
	}{
		{"scopes", middleware.RequireScopes("connections:read")},
		{"subject", middleware.RequireSubject("id")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := new(counter)
			mux := http.NewServeMux()
			mux.Handle("GET /tasks/{id}", tc.mw(next))
			rec := get(mux, "/tasks/"+taskA.String(), bearer(f.execution(t, taskA)))
			assertOutcome(t, &noCreds, rec, next)
		})
	}
}

// TestRequirementsRenderLikeAuthenticate: a requirement's rejection goes
// through the enclosing Authenticate's realm and ErrorHandler.
func TestRequirementsRenderLikeAuthenticate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	tests := []struct {
		name      string
		mw        func(http.Handler) http.Handler
		wantErr   error
		wantScope string
		challenge string
	}{
		{"scopes", middleware.RequireScopes("connections:read"), middleware.ErrInsufficientScope, "connections:read",
			`Bearer realm="tasks", error="insufficient_scope", scope="connections:read"`},
		{"subject", middleware.RequireSubject("id"), middleware.ErrSubjectMismatch, "",
			`Bearer realm="tasks", error="insufficient_scope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got error
			mux := http.NewServeMux()
			mux.Handle("GET /tasks/{id}", middleware.Authenticate(middleware.Config{
				Verifier: f.verifier,
				Realm:    "tasks",
				ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
					got = err
					middleware.WriteError(w, err, "tasks")
				},
			})(tc.mw(new(counter))))
			rec := get(mux, "/tasks/"+taskB.String(), bearer(f.execution(t, taskA)))
			assert.Equal(t, http.StatusForbidden, rec.Code)
			assert.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			require.ErrorIs(t, got, tc.wantErr)
			var e *middleware.Error
			require.ErrorAs(t, got, &e)
			assert.Equal(t, tc.wantScope, e.Scope)
		})
	}
}
