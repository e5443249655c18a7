package redisstore_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/redisstore"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/revoke/storetest"
)

// These tests run against a real redis-server where one is available (see
// server_test.go), else against miniredis.

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestContractShared(t *testing.T) {
	t.Parallel()
	addr := sharedAddr(t)
	storetest.Run(t, func(t *testing.T) revoke.Store {
		c := newClient(t, addr)
		return must(redisstore.New(redisstore.Config{Client: c, Prefix: testPrefix(t, c)}))
	})
}

// newList returns a list on store that polls every 20ms, closed after the
// test.
func newList(t *testing.T, store revoke.Store, maxStale time.Duration) *revoke.List {
	t.Helper()
	l, err := revoke.NewList(context.Background(), revoke.Config{
		Store: store, PollInterval: 20 * time.Millisecond, MaxStale: maxStale, Timeout: 500 * time.Millisecond, Logger: quiet,
	})
	require.NoError(t, err)
	t.Cleanup(l.Close)
	return l
}

// refusedSoon waits, at most 5s, until l refuses the token.
func refusedSoon(t *testing.T, l *revoke.List, jti, sub string, iat time.Time) {
	t.Helper()
	require.Eventually(t, func() bool {
		revoked, err := l.Check(jti, sub, iat)
		return err == nil && revoked
	}, 5*time.Second, 5*time.Millisecond, "jti %q sub %q not refused", jti, sub)
}

func TestListsShareRevocations(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedAddr(t))
	store := must(redisstore.New(redisstore.Config{Client: c, Prefix: testPrefix(t, c)}))
	a, b := newList(t, store, 10*time.Second), newList(t, store, 10*time.Second)
	ctx := context.Background()
	now := time.Now()
	iat := now.Add(-time.Minute)

	require.NoError(t, a.RevokeToken(ctx, "jti-1", now.Add(10*time.Minute)))
	revoked, err := a.Check("jti-1", "task-2", iat)
	require.NoError(t, err)
	require.True(t, revoked, "the replica that revokes refuses at once")
	refusedSoon(t, b, "jti-1", "task-2", iat)

	require.NoError(t, b.RevokeSubject(ctx, "task-1", now))
	refusedSoon(t, a, "jti-9", "task-1", iat)
	revoked, err = a.Check("jti-9", "task-1", now.Truncate(time.Second).Add(time.Second))
	require.NoError(t, err)
	assert.False(t, revoked, "a token of the subject minted after the cutoff's second")

	restarted := newList(t, store, 10*time.Second)
	assert.Equal(t, 2, restarted.Len(), "a new replica loads every live entry before it is ready")
}

// TestRedisOutage stops Redis (SIGKILL) under two lists and starts it again
// from its append-only file.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := newClient(t, srv.Addr())
	store := must(redisstore.New(redisstore.Config{Client: c}))
	const maxStale = time.Second
	a, b := newList(t, store, maxStale), newList(t, store, maxStale)
	ctx := context.Background()
	now := time.Now()
	iat := now.Add(-time.Minute)

	require.NoError(t, a.RevokeToken(ctx, "jti-1", now.Add(10*time.Minute)))
	require.NoError(t, a.RevokeSubject(ctx, "task-1", now))
	first, err := store.FirstExchange(ctx, "task-2", now, now.Add(time.Hour))
	require.NoError(t, err)
	refusedSoon(t, b, "jti-1", "", iat)
	refusedSoon(t, b, "", "task-1", iat)

	srv.Kill(t)
	t.Logf("redis stopped (real server: %v)", srv.Real())
	// Until the view is staler than MaxStale it admits unknown tokens; then
	// it fails closed. Known revocations are refused all along.
	deadline := time.Now().Add(10 * time.Second)
	for closed := false; !closed; {
		require.True(t, time.Now().Before(deadline), "no list failed closed within 10s of the outage")
		closed = true
		for _, l := range []*revoke.List{a, b} {
			for _, tok := range [][2]string{{"jti-1", ""}, {"", "task-1"}} {
				revoked, err := l.Check(tok[0], tok[1], iat)
				require.NoError(t, err)
				require.True(t, revoked, "a known revocation is never reported as not revoked")
			}
			_, err := l.Check("jti-other", "task-other", iat)
			if err == nil {
				closed = false
			} else {
				require.ErrorIs(t, err, revoke.ErrUnavailable)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.ErrorIs(t, a.RevokeToken(ctx, "jti-during", now.Add(10*time.Minute)), revoke.ErrUnavailable)
	revoked, err := a.Check("jti-during", "", iat)
	require.NoError(t, err)
	assert.True(t, revoked, "refused by the replica that tried to revoke it")

	srv.Start(t)
	require.Eventually(t, func() bool { return a.Ready() == nil && b.Ready() == nil }, 10*time.Second, 10*time.Millisecond)
	restarted := newList(t, store, maxStale)
	for _, l := range []*revoke.List{a, b, restarted} {
		for _, tok := range [][2]string{{"jti-1", ""}, {"", "task-1"}} {
			revoked, err := l.Check(tok[0], tok[1], iat)
			require.NoError(t, err)
			assert.True(t, revoked, "every revocation written before the outage holds after it")
		}
		revoked, err := l.Check("jti-other", "task-other", iat)
		require.NoError(t, err)
		assert.False(t, revoked)
	}
	again, err := store.FirstExchange(ctx, "task-2", now.Add(time.Minute), now.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, first, again, "the first-exchange record survived the restart")
}
