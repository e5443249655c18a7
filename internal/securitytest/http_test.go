package securitytest

import (
	"context"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
)

// SECURITY.md "HTTP": hostile requests, with the exact response each gets.
func TestAttackHTTP(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	good := r.token(t, nil, "")
	withQuery := func(q string) *http.Request {
		req := request()
		req.URL.RawQuery = q
		return req
	}
	formPost := httptest.NewRequest(http.MethodPost, "/task-instances/"+taskID+"/heartbeat",
		strings.NewReader(url.Values{"access_token": {good}}.Encode()))
	formPost.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	withCookie := request()
	withCookie.AddCookie(&http.Cookie{Name: "access_token", Value: good})
	workload := r.token(t, map[string]any{"scope": "workload"}, "")
	processor := r.token(t, map[string]any{"scope": "processor", "sub": "dag-processor"}, "")

	tests := []struct {
		name string
		req  *http.Request
		want rejection
	}{
		// Two `Authorization` fields, `Bearer` with no token, tabs or extra
		// parts → 400 `invalid_request`.
		{"two Authorization fields", request("Bearer "+good, "Bearer "+good), rejectRequest},
		{"two fields, Basic first", request("Basic dXNlcjpwYXNz", "Bearer "+good), rejectRequest},
		{"Bearer alone", request("Bearer"), rejectRequest},
		{"Bearer and a space", request("Bearer "), rejectRequest},
		{"Bearer and spaces", request("Bearer    "), rejectRequest},
		{"tab after Bearer", request("Bearer\t" + good), rejectRequest},
		{"tab after the token", request("Bearer " + good + "\t"), rejectRequest},
		{"extra part", request("Bearer " + good + " " + canary + "-extra-part"), rejectRequest},
		{"two tokens", request("Bearer " + good + " " + good), rejectRequest},
		{"quoted token", request(`Bearer "` + good + `"`), rejectRequest},
		{"comma list", request("Bearer " + good + ", Basic x"), rejectRequest},
		{"empty Authorization", request(""), rejectRequest},
		// RFC 6750 §3, as the README's rejection table maps it: no credentials or another scheme → 401, bare challenge
		{"no Authorization", request(), rejectNoCreds},
		{"Basic", request("Basic dXNlcjpwYXNz"), rejectNoCreds},
		{"scheme glued to the token", request("Bearer" + good), rejectNoCreds},
		// A token in the query string is ignored unless the host opts in.
		{"access_token in the query", withQuery("access_token=" + good), rejectNoCreds},
		{"access_token in a form body", formPost, rejectNoCreds},
		{"access_token cookie", withCookie, rejectNoCreds},
		// RFC 6750 mapping: a valid token of a class the route does not accept → 403
		{"workload token on an execution route", request("Bearer " + workload), rejectClass},
		{"processor token on an execution route", request("Bearer " + processor), rejectClass},
		// `WWW-Authenticate` attribute values are fixed strings ... never the
		// token, kid, or claim values. (expect compares exact values and
		// looks for the canary)
		{"unknown kid named in the token", request("Bearer " + testkit.Sign(t, r.key, testkit.Header("ES256", canary+"-kid", ""), r.claims(t, nil, ""))), rejectToken},
		{"claim values in an expired token", request("Bearer " + r.token(t, map[string]any{"exp": t0.Unix() - 60, "iat": t0.Unix() - 600, "sub": canary}, "")), rejectToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.expect(t, tc.req, tc.want, good)
		})
	}
	t.Run("controls", func(t *testing.T) {
		for _, v := range []string{"Bearer " + good, "bEaReR " + good, "Bearer   " + good} {
			rec := r.serve(request(v))
			assert.Equal(t, http.StatusOK, rec.Code, v[:8])
		}
		opted := newRig(t, rigOpts{auth: func(c *middleware.Config) {
			c.Extract = func(req *http.Request) (string, error) { return req.URL.Query().Get("access_token"), nil }
		}})
		req := request()
		req.URL.RawQuery = "access_token=" + opted.token(t, nil, "")
		assert.Equal(t, http.StatusOK, opted.serve(req).Code, "the host opted in")
	})
}

// SECURITY.md "HTTP": A panic in a key lookup or host hook does not leak
// the token and does not kill the server.
func TestAttackHTTPPanics(t *testing.T) {
	t.Parallel()
	k1 := testkit.Key(t, jwks.ES256, "k1")
	st, err := jwks.NewStatic(k1.Public())
	require.NoError(t, err)
	// The lookup panics, with the kid in the value, for kids it was not
	// built for; the hooks panic with the whole request's token.
	lookup := jwks.LookupFunc(func(ctx context.Context, kid string, alg jwks.Algorithm) (jwks.Key, error) {
		if kid != "k1" {
			panic("no key " + kid)
		}
		return st.LookupKey(ctx, kid, alg)
	})
	bearer := func(req *http.Request) string { return strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ") }
	tests := []struct {
		name string
		opts rigOpts
		kid  string // of the token that makes it panic
		next int    // the status of a good request afterwards
	}{
		{"key lookup", rigOpts{keys: lookup}, canary, http.StatusOK},
		{"Extract", rigOpts{auth: func(c *middleware.Config) {
			c.Extract = func(req *http.Request) (string, error) { panic(bearer(req)) }
		}}, "k1", http.StatusInternalServerError},
		{"ErrorHandler", rigOpts{auth: func(c *middleware.Config) {
			c.ErrorHandler = func(http.ResponseWriter, *http.Request, error) { panic(canary) }
		}}, canary, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.key = k1
			r := newRig(t, tc.opts)
			raw := testkit.Sign(t, k1, testkit.Header("ES256", tc.kid, ""), r.claims(t, map[string]any{"jti": canary}, ""))
			r.expect(t, request("Bearer "+raw), rejectInternal, raw, tc.kid)

			// The same through a real server, whose error log must stay
			// clean too, and which goes on serving.
			srv := httptest.NewUnstartedServer(r.h)
			srv.Config.ErrorLog = log.New(r.logs, "", 0)
			srv.Start()
			t.Cleanup(srv.Close)
			for i, want := range []int{http.StatusInternalServerError, tc.next} {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/", nil)
				require.NoError(t, err)
				if i == 0 {
					req.Header.Set("Authorization", "Bearer "+raw)
				} else {
					req.Header.Set("Authorization", "Bearer "+r.token(t, nil, ""))
				}
				res, err := srv.Client().Do(req)
				require.NoError(t, err)
				res.Body.Close()
				assert.Equal(t, want, res.StatusCode)
			}
			assert.NotContains(t, r.logs.String(), raw)
			assert.NotContains(t, r.logs.String(), canary)
		})
	}
}
