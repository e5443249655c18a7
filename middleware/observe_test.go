package middleware_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// hookStep is how far the hooks' clock moves per reading: a verification is
// timed by two readings, so its Duration is exactly hookStep.
const hookStep = 3 * time.Millisecond

// observedMux serves "GET /tasks/{id}" through Authenticate (execution
// only) and RequireSubject("id"), reporting to a recorder.
func observedMux(t testing.TB, v *token.Verifier) (http.Handler, *testkit.Events[observe.Auth], time.Time) {
	t.Helper()
	rec := new(testkit.Events[observe.Auth])
	hooks := &observe.Hooks{OnAuth: rec.Add, Now: testkit.StepClock(now, hookStep)}
	auth := middleware.Authenticate(middleware.Config{Verifier: v, Hooks: hooks, Logger: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	mux.Handle("GET /tasks/{id}", auth(middleware.RequireSubject("id")(reply(http.StatusNoContent))))
	return mux, rec, now
}

func TestHooksAuth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	const route = "GET /tasks/{id}"
	expired := f.mint(t, token.Claims{
		Subject: taskA.String(), Scope: scope.Set{scope.Execution},
		IssuedAt: now.Add(-20 * time.Minute), ExpiresAt: now.Add(-10 * time.Minute),
	})
	verified := func(e observe.Auth) observe.Auth {
		e.Route, e.Start, e.Duration = route, now, hookStep
		return e
	}
	tests := []struct {
		name     string
		verifier *token.Verifier
		target   string
		header   []string
		status   int
		want     []observe.Auth
	}{
		{"admitted", f.verifier, "/tasks/" + taskA.String(), []string{bearer(f.execution(t, taskA))}, 204,
			[]observe.Auth{verified(observe.Auth{Class: "execution", Admitted: true})}},
		{"no credentials", f.verifier, "/tasks/" + taskA.String(), nil, 401,
			[]observe.Auth{{Route: route, Status: 401, Reason: "no_credentials"}}},
		{"two Authorization fields", f.verifier, "/tasks/" + taskA.String(), []string{"Bearer a", "Bearer b"}, 400,
			[]observe.Auth{{Route: route, Status: 400, Reason: "invalid_request"}}},
		// The b64token check runs after a failed verification (see
		// Authenticate), so this one was verified, and timed.
		{"not a b64token", f.verifier, "/tasks/" + taskA.String(), []string{"Bearer a b"}, 400,
			[]observe.Auth{verified(observe.Auth{Status: 400, Reason: "invalid_request"})}},
		{"expired", f.verifier, "/tasks/" + taskA.String(), []string{bearer(expired)}, 401,
			[]observe.Auth{verified(observe.Auth{Status: 401, Reason: "expired"})}},
		{"class", f.verifier, "/tasks/" + taskA.String(), []string{bearer(f.workload(t, taskA))}, 403,
			[]observe.Auth{verified(observe.Auth{Class: "workload", Status: 403, Reason: "insufficient_scope"})}},
		{"keys unavailable", newVerifier(t, unavailable), "/tasks/" + taskA.String(), []string{bearer(expired)}, 503,
			[]observe.Auth{verified(observe.Auth{Status: 503, Reason: "keys_unavailable"})}},
		{"another task's path", f.verifier, "/tasks/" + taskB.String(), []string{bearer(f.execution(t, taskA))}, 403,
			[]observe.Auth{
				verified(observe.Auth{Class: "execution", Admitted: true}),
				{Route: route, Class: "execution", Requirement: true, Status: 403, Reason: "subject_mismatch"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, rec, _ := observedMux(t, tc.verifier)
			res := get(h, tc.target, tc.header...)
			require.Equal(t, tc.status, res.Code)
			assert.Equal(t, tc.want, rec.All())
		})
	}
}

// A token served from the verifier's cache is reported as a hit; the first
// presentation is not.
func TestHooksAuthCacheHit(t *testing.T) {
	t.Parallel()
	sk := testkit.Key(t, jwks.ES256, testKID)
	f := newFixture(t, sk)
	st, err := jwks.NewStatic(sk.Public())
	require.NoError(t, err)
	v, err := token.NewVerifier(token.VerifierConfig{Keys: st, Issuer: testIssuer, Audience: []string{testAud}, Now: clock, CacheSize: 16})
	require.NoError(t, err)
	h, rec, _ := observedMux(t, v)
	tok := bearer(f.execution(t, taskA))
	for range 2 {
		require.Equal(t, http.StatusNoContent, get(h, "/tasks/"+taskA.String(), tok).Code)
	}
	events := rec.All()
	require.Len(t, events, 2)
	assert.False(t, events[0].CacheHit)
	assert.True(t, events[1].CacheHit)
	assert.True(t, events[1].Admitted)
}

// A panic in the key lookup is reported as the 500 it becomes.
func TestHooksAuthInternal(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	crashing := newVerifier(t, jwks.LookupFunc(func(context.Context, string, jwks.Algorithm) (jwks.Key, error) {
		panic("lookup")
	}))
	h, rec, _ := observedMux(t, crashing)
	require.Equal(t, http.StatusInternalServerError, get(h, "/tasks/"+taskA.String(), bearer(f.execution(t, taskA))).Code)
	events := rec.All()
	require.Len(t, events, 1)
	assert.Equal(t, 500, events[0].Status)
	assert.Equal(t, "internal", events[0].Reason)
	assert.False(t, events[0].Admitted)
}

// A panicking hook changes no outcome: the request is admitted or refused
// as without hooks, the first panic is logged by type only, and every one is
// counted.
func TestHooksAuthPanicContained(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testkit.Key(t, jwks.ES256, testKID))
	var logs bytes.Buffer
	secret := f.execution(t, taskA)
	hooks := &observe.Hooks{
		OnAuth: func(_ context.Context, e observe.Auth) { panic("hook saw " + secret) },
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	next := new(counter)
	h := middleware.Authenticate(middleware.Config{Verifier: f.verifier, Hooks: hooks, Logger: slog.New(slog.DiscardHandler)})(next)
	assert.Equal(t, http.StatusOK, get(h, "/x", bearer(secret)).Code)
	assert.Equal(t, http.StatusUnauthorized, get(h, "/x").Code)
	assert.Equal(t, http.StatusOK, get(h, "/x", bearer(secret)).Code)
	assert.EqualValues(t, 2, next.n.Load())
	assert.EqualValues(t, 3, hooks.Panics())
	assert.Equal(t, 1, strings.Count(logs.String(), "panicked"), logs.String())
	assert.Contains(t, logs.String(), "hook=OnAuth")
	assert.NotContains(t, logs.String(), secret)
	assert.NotContains(t, logs.String(), "hook saw")
}

// outcomes is what a metrics exporter keeps: counters, updated atomically.
type outcomes struct {
	admitted, rejected, hits atomic.Int64
	verifying                atomic.Int64 // nanoseconds
}

func countingHooks(o *outcomes) *observe.Hooks {
	return &observe.Hooks{OnAuth: func(_ context.Context, e observe.Auth) {
		if e.Admitted {
			o.admitted.Add(1)
		} else {
			o.rejected.Add(1)
		}
		if e.CacheHit {
			o.hits.Add(1)
		}
		o.verifying.Add(int64(e.Duration))
	}}
}
