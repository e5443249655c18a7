package middleware_test

import (
	"encoding/json"
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

func TestRequireBinding(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	bound := func(v string) string {
		c := token.Claims{Subject: "dag-processor", Scope: scope.Set{scope.Processor}}
		require.NoError(t, c.SetExtra("bundle", json.RawMessage(v)))
		return f.mint(t, c)
	}
	unbound := f.mint(t, token.Claims{Subject: "dag-processor", Scope: scope.Set{scope.Processor}})
	tests := []struct {
		name   string
		target string
		tok    string
		want   *golden // nil: admitted
	}{
		{"bound to this bundle", "/bundles/dags/variables/k", bound(`"dags"`), nil},
		{"bound to another bundle", "/bundles/other/variables/k", bound(`"dags"`), &notSelf},
		{"a case variant", "/bundles/DAGS/variables/k", bound(`"dags"`), &notSelf},
		{"a claim that is not a string", "/bundles/1/variables/k", bound(`1`), &notSelf},
		{"an array holding the bundle", "/bundles/dags/variables/k", bound(`["dags"]`), &notSelf},
		{"not bound: the classes decide", "/bundles/other/variables/k", unbound, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := new(counter)
			var got error
			mux := http.NewServeMux()
			mux.Handle("GET /bundles/{bundle}/variables/{key}",
				middleware.Authenticate(middleware.Config{
					Verifier: f.verifier, Classes: []scope.Scope{scope.Processor},
					ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
						got = err
						middleware.WriteError(w, err, "")
					},
				})(middleware.RequireBinding("bundle", "bundle")(next)))
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			r.Header.Set("Authorization", bearer(tc.tok))
			assertOutcome(t, tc.want, serve(mux, r), next)
			if tc.want == nil {
				assert.NoError(t, got)
				return
			}
			// Its own cause and reason code, not a subject mismatch's.
			require.ErrorIs(t, got, middleware.ErrBindingMismatch)
			assert.NotErrorIs(t, got, middleware.ErrSubjectMismatch)
			var e *middleware.Error
			require.ErrorAs(t, got, &e)
			assert.Equal(t, "binding_mismatch", e.Reason())
			assert.Empty(t, e.Scope, "no scope would help")
		})
	}
}

func TestRequireBindingPanics(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "middleware: RequireBinding: empty claim or path value name", func() { middleware.RequireBinding("", "bundle") })
	assert.PanicsWithValue(t, "middleware: RequireBinding: empty claim or path value name", func() { middleware.RequireBinding("bundle", "") })
}
