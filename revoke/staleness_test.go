package revoke

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStaleness(t *testing.T) {
	t.Parallel()
	const maxStale = 2 * time.Hour
	for _, tc := range []struct {
		name     string
		failOpen time.Duration
		age      time.Duration
		wantErr  bool
	}{
		{"just synced", 0, 0, false},
		{"at MaxStale", 0, maxStale, false},
		{"past MaxStale", 0, maxStale + time.Nanosecond, true},
		{"fail-open: past MaxStale", 30 * time.Minute, maxStale + time.Second, false},
		{"fail-open: at its bound", 30 * time.Minute, maxStale + 30*time.Minute, false},
		{"fail-open: past its bound", 30 * time.Minute, maxStale + 30*time.Minute + time.Nanosecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			store := &switchStore{Store: NewMemory(c.now)}
			l := newTestList(t, store, c, Config{MaxStale: maxStale, InsecureFailOpenFor: tc.failOpen})
			require.NoError(t, l.RevokeToken(context.Background(), "jti-1", t0.Add(24*time.Hour)))
			store.down.Store(true)
			c.add(tc.age)
			require.ErrorIs(t, l.Sync(context.Background()), ErrUnavailable)

			revoked, err := l.Check("jti-2", "task-1", t0)
			assert.False(t, revoked)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrUnavailable)
				require.ErrorIs(t, l.Ready(), ErrUnavailable)
			} else {
				require.NoError(t, err)
				require.NoError(t, l.Ready())
			}
			// What the list knows is refused whatever its age: never "not revoked".
			revoked, err = l.Check("jti-1", "task-1", t0)
			require.NoError(t, err)
			assert.True(t, revoked)
		})
	}
}

func TestOutage(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &switchStore{Store: NewMemory(c.now)}
	a := newTestList(t, store, c, Config{MaxStale: time.Minute * 90})
	b := newTestList(t, store, c, Config{MaxStale: time.Minute * 90})
	ctx := context.Background()
	require.NoError(t, a.RevokeToken(ctx, "before", t0.Add(24*time.Hour)))

	store.down.Store(true)
	// A write during the outage is refused at once by the list that made it,
	// and reported as not shared.
	require.ErrorIs(t, a.RevokeToken(ctx, "during", t0.Add(24*time.Hour)), ErrUnavailable)
	revoked, err := a.Check("during", "", t0)
	require.NoError(t, err)
	assert.True(t, revoked)

	c.add(2 * time.Hour)
	for _, l := range []*List{a, b} {
		require.ErrorIs(t, l.Sync(ctx), ErrUnavailable)
		_, err := l.Check("other", "", t0)
		require.ErrorIs(t, err, ErrUnavailable, "fail closed past MaxStale")
	}
	revoked, err = a.Check("before", "", t0)
	require.NoError(t, err)
	assert.True(t, revoked, "a known revocation holds during the outage")

	store.down.Store(false)
	require.NoError(t, b.Sync(ctx))
	for _, jti := range []string{"before", "other"} {
		revoked, err := b.Check(jti, "", t0)
		require.NoError(t, err, "fresh again after a sync")
		assert.Equal(t, jti == "before", revoked, jti)
	}
	// A list started after the outage loads what was written before it.
	restarted := newTestList(t, store, c, Config{})
	revoked, err = restarted.Check("before", "", t0)
	require.NoError(t, err)
	assert.True(t, revoked)
}

func TestStartUnsynced(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &switchStore{Store: NewMemory(c.now)}
	store.down.Store(true)

	_, err := NewList(context.Background(), Config{Store: store, Now: c.now, Logger: quiet})
	require.ErrorIs(t, err, ErrUnavailable, "a failed first sync fails NewList")

	l := newTestList(t, store, c, Config{StartUnsynced: true, InsecureFailOpenFor: time.Hour})
	_, err = l.Check("jti-1", "task-1", t0)
	require.ErrorIs(t, err, ErrUnavailable, "never synced: fails even with fail-open")
	require.ErrorIs(t, l.Ready(), ErrUnavailable)
	assert.True(t, l.SyncedAt().IsZero())

	store.down.Store(false)
	require.NoError(t, l.Sync(context.Background()))
	_, err = l.Check("jti-1", "task-1", t0)
	require.NoError(t, err)
	assert.Equal(t, t0, l.SyncedAt().UTC())
}

func TestSyncCanceled(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := newTestList(t, NewMemory(c.now), c, Config{})
	l.syncing <- struct{}{} // a sync under way
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, l.Sync(ctx), ErrUnavailable, "a waiter can cancel")
	require.ErrorIs(t, l.Sync(ctx), context.Canceled)
	<-l.syncing
	require.NoError(t, l.Sync(context.Background()))
}
