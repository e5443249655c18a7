package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
)

// replicas returns n reference servers with the same key, sharing one
// in-process Redis, and the clock of the first (each has its own fake clock
// at t0; tests do not move them).
func replicas(t *testing.T, n int) []*apiFixture {
	t.Helper()
	m := miniredis.RunT(t)
	key := testkit.Seeded(t, "", 1)
	out := make([]*apiFixture, n)
	for i := range out {
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		out[i] = newAPIFixture(t, serverConfig{key: key, redis: c})
	}
	return out
}

const revokedChallenge = `Bearer realm="execution-api", error="invalid_token"`

// TestReplicasActAsOneAPI: a task run through one replica heartbeats through
// another and finishes through a third; then every token of it is refused
// on every replica, the run call gets nothing, and nothing is reissued.
func TestReplicasActAsOneAPI(t *testing.T) {
	t.Parallel()
	rs := replicas(t, 3)
	a, b, c := rs[0], rs[1], rs[2]
	task := uuid.NewString()
	workload := a.mint(t, scope.Workload, task, time.Minute)

	r := a.do(t, http.MethodPatch, taskPath(task, "run"), bearer(workload), runBodyA)
	require.Equal(t, http.StatusOK, r.status, r.body)
	exec := r.header.Get(refresh.DefaultHeader)
	require.NotEmpty(t, exec)

	r = b.do(t, http.MethodPut, taskPath(task, "heartbeat"), "Bearer "+exec, "")
	assert.Equal(t, http.StatusNoContent, r.status, "the task table is shared: %s", r.body)
	r = b.do(t, http.MethodPatch, taskPath(task, "run"), bearer(workload), `{"hostname":"worker-2","pid":7}`)
	assert.Equal(t, http.StatusConflict, r.status, "another worker, on another replica")
	r = c.do(t, http.MethodPatch, taskPath(task, "run"), bearer(workload), runBodyA)
	require.Equal(t, http.StatusOK, r.status, "the same worker retries on a third replica")
	retried := r.header.Get(refresh.DefaultHeader)
	ec, err := a.srv.verifier.Verify(t.Context(), exec)
	require.NoError(t, err)
	rc, err := a.srv.verifier.Verify(t.Context(), retried)
	require.NoError(t, err)
	assert.Equal(t, ec.AuthTime, rc.AuthTime, "a retried exchange stays in the first chain")

	r = c.do(t, http.MethodPatch, taskPath(task, "state"), "Bearer "+exec, `{"state":"success"}`)
	require.Equal(t, http.StatusNoContent, r.status, r.body)

	for i, f := range rs {
		require.NoError(t, f.srv.revoked.Sync(t.Context())) // the background sync, without waiting for it
		for _, tok := range []string{exec, retried} {
			r := f.do(t, http.MethodPut, taskPath(task, "heartbeat"), "Bearer "+tok, "")
			assert.Equal(t, http.StatusUnauthorized, r.status, "replica %d", i)
			assert.Equal(t, revokedChallenge, r.header.Get("WWW-Authenticate"))
			assert.Empty(t, r.header.Get(refresh.DefaultHeader))
		}
		r := f.do(t, http.MethodPatch, taskPath(task, "run"), bearer(workload), runBodyA)
		assert.Equal(t, http.StatusUnauthorized, r.status, "replica %d: the run call of a finished task", i)
		assert.Empty(t, r.header.Get(refresh.DefaultHeader), "nothing handed out")
	}
	assert.Contains(t, a.logs.String(), "reason=revoked")
}

func TestStateCall(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, serverConfig{})
	task := uuid.NewString()
	exec := f.mint(t, scope.Execution, task, time.Minute)
	state := taskPath(task, "state")

	r := f.do(t, http.MethodPatch, state, bearer(exec), `{"state":"success"}`)
	assert.Equal(t, http.StatusConflict, r.status, "never ran")
	r = f.do(t, http.MethodPatch, taskPath(task, "run"), bearer(f.mint(t, scope.Workload, task, time.Minute)), runBodyA)
	require.Equal(t, http.StatusOK, r.status)
	for _, body := range []string{`{"state":"running"}`, `{"state":"queued"}`, `{}`, `nope`} {
		r = f.do(t, http.MethodPatch, state, bearer(exec), body)
		assert.Equal(t, http.StatusUnprocessableEntity, r.status, body)
	}
	other := f.mint(t, scope.Execution, uuid.NewString(), time.Minute)
	r = f.do(t, http.MethodPatch, state, bearer(other), `{"state":"failed"}`)
	assert.Equal(t, http.StatusForbidden, r.status, "another task's token")

	r = f.do(t, http.MethodPatch, state, bearer(exec), `{"state":"failed"}`)
	require.Equal(t, http.StatusNoContent, r.status, r.body)
	r = f.do(t, http.MethodPut, taskPath(task, "heartbeat"), bearer(exec), "")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, revokedChallenge, r.header.Get("WWW-Authenticate"))
	// A token of the task minted later (a new try of it) is not revoked, but
	// the task is finished: 409.
	f.clock.Advance(time.Second)
	later := f.mint(t, scope.Execution, task, 0)
	r = f.do(t, http.MethodPut, taskPath(task, "heartbeat"), bearer(later), "")
	assert.Equal(t, http.StatusConflict, r.status)
	r = f.do(t, http.MethodPatch, state, bearer(later), `{"state":"failed"}`)
	assert.Equal(t, http.StatusNoContent, r.status, "the same state again: a retry")
	r = f.do(t, http.MethodPatch, state, bearer(f.mint(t, scope.Execution, task, 0)), `{"state":"success"}`)
	assert.Equal(t, http.StatusUnauthorized, r.status, "revoked again by the retry")
}
