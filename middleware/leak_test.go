package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// remoteLike behaves like a remote key set that names the kid it did not find
// in its error, so the error chain carries untrusted text.
func remoteLike(keys ...jwks.Key) jwks.Lookup {
	st, err := jwks.NewStatic(keys...)
	if err != nil {
		panic(err)
	}
	return jwks.LookupFunc(func(ctx context.Context, kid string, alg jwks.Algorithm) (jwks.Key, error) {
		k, err := st.LookupKey(ctx, kid, alg)
		if err != nil {
			return jwks.Key{}, fmt.Errorf("%w: kid %q alg %q", err, kid, alg)
		}
		return k, nil
	})
}

// TestNothingLeaks sends every kind of rejection with distinctive claim
// values and checks that no token text, kid or claim value reaches the
// response (status line, every header, body) or the log, including a log
// line an ErrorHandler writes with err.Error().
func TestNothingLeaks(t *testing.T) {
	t.Parallel()
	const (
		jti       = "jti-zq9-4f1d2c"
		principal = "proc-zq9-principal"
		evilIss   = "https://evil.zq9.example"
		otherAud  = "aud-zq9-other"
	)
	sk := testkit.Key(t, jwks.ES256, testKID)
	f := newFixture(t, sk)
	foreign := newFixture(t, testkit.Key(t, jwks.ES256, "kid-zq9-foreign"))
	claims := func(class scope.Scope, mod func(*token.Claims)) token.Claims {
		c := token.Claims{Subject: taskA.String(), ID: jti, Scope: scope.Set{class}}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	execution := f.mint(t, claims(scope.Execution, nil))
	tokens := map[string]string{
		"execution": execution,
		"expired": f.mint(t, claims(scope.Execution, func(c *token.Claims) {
			c.IssuedAt, c.ExpiresAt = now.Add(-time.Hour), now.Add(-50*time.Minute)
		})),
		"tampered":  strings.TrimSuffix(execution, execution[len(execution)-6:]) + "AAAAAA",
		"foreign":   foreign.mint(t, claims(scope.Execution, nil)),
		"wrong iss": f.mint(t, claims(scope.Execution, func(c *token.Claims) { c.Issuer = evilIss })),
		"wrong aud": f.mint(t, claims(scope.Execution, func(c *token.Claims) { c.Audience = []string{otherAud} })),
		"workload":  f.mint(t, claims(scope.Workload, nil)),
		"processor": f.mint(t, claims(scope.Processor, func(c *token.Claims) { c.Subject = principal })),
		"scoped":    f.mint(t, claims(scope.Execution, func(c *token.Claims) { c.Scope = append(c.Scope, "scope-zq9-extra") })),
	}
	secrets := []string{testKID, "kid-zq9-foreign", taskA.String(), jti, principal, testIssuer, evilIss, testAud, otherAud, "scope-zq9-extra"}
	for _, tok := range tokens {
		secrets = append(secrets, tok)
		secrets = append(secrets, strings.Split(tok, ".")...)
	}

	verifier := newVerifier(t, remoteLike(sk.Public()))
	down := newVerifier(t, unavailable)
	crashing := newVerifier(t, jwks.LookupFunc(func(_ context.Context, kid string, _ jwks.Algorithm) (jwks.Key, error) {
		panic("lookup failed for kid " + kid)
	}))
	heartbeat := "/task-instances/" + taskA.String() + "/heartbeat"
	tests := []struct {
		name     string
		verifier *token.Verifier
		target   string
		header   []string
		want     int
	}{
		{"no credentials", verifier, heartbeat, nil, 401},
		{"other scheme carrying the token", verifier, heartbeat, []string{"Basic " + execution}, 401},
		{"tab", verifier, heartbeat, []string{"Bearer\t" + execution}, 400},
		{"extra part", verifier, heartbeat, []string{bearer(execution) + " " + jti}, 400},
		{"two fields", verifier, heartbeat, []string{bearer(execution), bearer(tokens["workload"])}, 400},
		{"expired", verifier, heartbeat, []string{bearer(tokens["expired"])}, 401},
		{"tampered", verifier, heartbeat, []string{bearer(tokens["tampered"])}, 401},
		{"unknown kid", verifier, heartbeat, []string{bearer(tokens["foreign"])}, 401},
		{"wrong issuer", verifier, heartbeat, []string{bearer(tokens["wrong iss"])}, 401},
		{"wrong audience", verifier, heartbeat, []string{bearer(tokens["wrong aud"])}, 401},
		{"workload class", verifier, heartbeat, []string{bearer(tokens["workload"])}, 403},
		{"processor class", verifier, heartbeat, []string{bearer(tokens["processor"])}, 403},
		{"missing scope", verifier, heartbeat, []string{bearer(tokens["scoped"])}, 403},
		{"another task", verifier, "/task-instances/" + taskB.String() + "/heartbeat", []string{bearer(execution)}, 403},
		{"keys unavailable", down, heartbeat, []string{bearer(execution)}, 503},
		{"lookup panics", crashing, heartbeat, []string{bearer(execution)}, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs testkit.Buffer
			log := logs.JSONLogger()
			next := new(counter)
			mux := http.NewServeMux()
			mux.Handle("PUT /task-instances/{id}/heartbeat", middleware.Authenticate(middleware.Config{
				Verifier: tc.verifier,
				Logger:   log,
				ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
					log.Info("hook", "err", err.Error())
					middleware.WriteError(w, err, "")
				},
			})(middleware.RequireSubject("id")(middleware.RequireScopes("connections:read")(next))))
			r := httptest.NewRequest(http.MethodPut, tc.target, nil)
			for _, a := range tc.header {
				r.Header.Add("Authorization", a)
			}
			rec := serve(mux, r)

			require.Equal(t, tc.want, rec.Code)
			assert.Zero(t, next.n.Load())
			var resp strings.Builder
			for name, values := range rec.Header() {
				fmt.Fprintf(&resp, "%s: %s\n", name, strings.Join(values, ", "))
			}
			resp.WriteString(rec.Body.String())
			for _, s := range secrets {
				assert.NotContains(t, resp.String(), s, "response leaks")
				assert.NotContains(t, logs.String(), s, "log leaks")
			}
			var rejections int
			for _, rec := range logs.Records(t) {
				if rec["msg"] == "request rejected" {
					rejections++
					assert.EqualValues(t, tc.want, rec["status"])
					assert.Equal(t, "PUT /task-instances/{id}/heartbeat", rec["route"])
				}
			}
			assert.Equal(t, 1, rejections, "one rejection record")
		})
	}
}

func TestLogLevels(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	tests := []struct {
		name     string
		verifier *token.Verifier
		header   []string
		level    string
		reason   string
		cause    string
	}{
		{"no credentials", f.verifier, nil, "DEBUG", "no_credentials", middleware.ErrNoCredentials.Error()},
		{"malformed", f.verifier, []string{"Bearer a b"}, "INFO", "invalid_request", middleware.ErrInvalidRequest.Error()},
		{"invalid", f.verifier, []string{"Bearer abc"}, "INFO", "malformed", token.ErrMalformed.Error()},
		{"class", f.verifier, []string{bearer(f.workload(t, taskA))}, "INFO", "insufficient_scope", middleware.ErrInsufficientScope.Error()},
		{"unavailable", newVerifier(t, unavailable), []string{bearer(f.execution(t, taskA))}, "WARN", "keys_unavailable", token.ErrKeysUnavailable.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs testkit.Buffer
			h := middleware.Authenticate(middleware.Config{Verifier: tc.verifier, Logger: logs.JSONLogger()})(new(counter))
			get(h, "/x", tc.header...)
			recs := logs.Records(t)
			require.Len(t, recs, 1)
			assert.Equal(t, tc.level, recs[0]["level"])
			assert.Equal(t, tc.reason, recs[0]["reason"])
			assert.Equal(t, tc.cause, recs[0]["cause"])
			assert.NotContains(t, recs[0], "route", "no pattern outside a mux")
		})
	}
}
