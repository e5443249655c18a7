package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
)

// varsKey is where prefixRouter keeps its path values, as gorilla/mux and
// older chi keep theirs in the request context instead of PathValue.
type varsKey struct{}

// prefixRouter routes "/tasks/<id>/heartbeat" to next with the id in the
// context, never calling SetPathValue.
func prefixRouter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/tasks/")
		id, ok2 := strings.CutSuffix(rest, "/heartbeat")
		if !ok || !ok2 || strings.Contains(id, "/") {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), varsKey{}, map[string]string{"id": id})))
	})
}

func routerVar(name string) func(*http.Request) string {
	return func(r *http.Request) string {
		vars, _ := r.Context().Value(varsKey{}).(map[string]string)
		return vars[name]
	}
}

// TestRequireSubjectFunc: behind a router that does not set PathValue,
// RequireSubject refuses even the task's own token, and RequireSubjectFunc
// reading the router's value admits exactly the token of the path's task.
func TestRequireSubjectFunc(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	mine := f.execution(t, taskA)
	tests := []struct {
		name   string
		mw     func(http.Handler) http.Handler
		target string
		want   *golden // nil: admitted
	}{
		{"RequireSubject, own task", middleware.RequireSubject("id"), "/tasks/" + taskA.String() + "/heartbeat", &notSelf},
		{"func, own task", middleware.RequireSubjectFunc(routerVar("id")), "/tasks/" + taskA.String() + "/heartbeat", nil},
		{"func, another task", middleware.RequireSubjectFunc(routerVar("id")), "/tasks/" + taskB.String() + "/heartbeat", &notSelf},
		{"func, empty value", middleware.RequireSubjectFunc(routerVar("id")), "/tasks//heartbeat", &notSelf},
		{"func, another name", middleware.RequireSubjectFunc(routerVar("task")), "/tasks/" + taskA.String() + "/heartbeat", &notSelf},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := new(counter)
			h := prefixRouter(middleware.Authenticate(middleware.Config{Verifier: f.verifier})(tc.mw(next)))
			r := httptest.NewRequest(http.MethodPut, tc.target, nil)
			r.Header.Set("Authorization", bearer(mine))
			rec := serve(h, r)
			assertOutcome(t, tc.want, rec, next)
		})
	}
}

func TestRequireSubjectFuncNil(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "middleware: RequireSubjectFunc: nil value function", func() { middleware.RequireSubjectFunc(nil) })
}
