package revoke

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/observe"
)

// step is how far the hooks' clock moves on each reading: a sync reads it
// twice, so its Duration is exactly step.
const step = time.Millisecond

// events records what a list reports; the hooks' clock moves by step on
// each reading.
type events struct {
	mu     sync.Mutex
	syncs  []observe.RevocationSync
	states []observe.RevocationState
	ticks  atomic.Int64
}

func (e *events) hooks() *observe.Hooks {
	return &observe.Hooks{
		OnRevocationSync: func(_ context.Context, s observe.RevocationSync) {
			e.mu.Lock()
			defer e.mu.Unlock()
			s.SyncedAt = s.SyncedAt.UTC() // the list reports it in local time
			e.syncs = append(e.syncs, s)
		},
		OnRevocationState: func(_ context.Context, s observe.RevocationState) {
			e.mu.Lock()
			defer e.mu.Unlock()
			s.SyncedAt = s.SyncedAt.UTC()
			e.states = append(e.states, s)
		},
		Now: func() time.Time { return t0.Add(time.Duration(e.ticks.Add(1)) * step) },
	}
}

// take returns the events recorded since the last call.
func (e *events) take() ([]observe.RevocationSync, []observe.RevocationState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	syncs, states := e.syncs, e.states
	e.syncs, e.states = nil, nil
	return syncs, states
}

// TestHooksSyncAndStaleness drives a list through an outage: every sync is
// reported with its result, duration and entries; passing MaxStale and
// coming back are reported once each.
func TestHooksSyncAndStaleness(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &switchStore{Store: NewMemory(c.now)}
	ctx := context.Background()
	require.NoError(t, store.Revoke(ctx, Entry{JTI: "jti-1", Until: t0.Add(time.Hour)}))
	require.NoError(t, store.Revoke(ctx, Entry{Subject: "task-1", Cutoff: t0, Until: t0.Add(time.Hour)}))
	rec := new(events)
	l := newTestList(t, store, c, Config{MaxStale: 2 * time.Hour, Hooks: rec.hooks()})

	syncs, states := rec.take()
	require.Len(t, syncs, 1, "the first sync, in NewList")
	assert.Equal(t, observe.RevocationSync{Start: syncs[0].Start, Duration: step, Entries: 2, SyncedAt: t0}, syncs[0])
	assert.False(t, syncs[0].Start.IsZero())
	assert.Empty(t, states, "a list that synced at start starts fresh, unreported")

	require.NoError(t, store.Revoke(ctx, Entry{JTI: "jti-2", Until: t0.Add(time.Hour)}))
	c.add(time.Minute)
	require.NoError(t, l.Sync(ctx))
	syncs, states = rec.take()
	require.Len(t, syncs, 1)
	assert.Equal(t, 1, syncs[0].Entries, "only what was written since")
	assert.Equal(t, t0.Add(time.Minute), syncs[0].SyncedAt)
	assert.NoError(t, syncs[0].Err)
	assert.Empty(t, states)

	// The store goes down: failures are reported, the view stays fresh
	// until MaxStale.
	store.down.Store(true)
	c.add(time.Hour)
	require.ErrorIs(t, l.Sync(ctx), ErrUnavailable)
	syncs, states = rec.take()
	require.Len(t, syncs, 1)
	require.ErrorIs(t, syncs[0].Err, errDown)
	assert.Zero(t, syncs[0].Entries)
	assert.Equal(t, step, syncs[0].Duration)
	assert.Equal(t, t0.Add(time.Minute), syncs[0].SyncedAt.UTC(), "the last successful sync")
	assert.Empty(t, states)

	// Past MaxStale: failing closed, reported once.
	c.add(time.Hour + time.Second)
	for range 2 {
		require.ErrorIs(t, l.Sync(ctx), ErrUnavailable)
	}
	_, err := l.Check("jti-3", "task-3", t0)
	require.ErrorIs(t, err, ErrUnavailable)
	syncs, states = rec.take()
	assert.Len(t, syncs, 2)
	assert.Equal(t, []observe.RevocationState{{
		State: observe.FailingClosed, SyncedAt: syncs[0].SyncedAt, Age: 2*time.Hour + time.Second,
	}}, states)

	// Back: fresh again, reported once.
	store.down.Store(false)
	require.NoError(t, l.Sync(ctx))
	require.NoError(t, l.Sync(ctx))
	syncs, states = rec.take()
	require.Len(t, syncs, 2)
	assert.NoError(t, syncs[0].Err)
	now := t0.Add(2*time.Hour + time.Minute + time.Second)
	assert.Equal(t, now, syncs[0].SyncedAt)
	require.Len(t, states, 1)
	assert.Equal(t, observe.Fresh, states[0].State)
	assert.Equal(t, now, states[0].SyncedAt)
	assert.Zero(t, states[0].Age)
}

func TestHooksFailOpen(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &switchStore{Store: NewMemory(c.now)}
	rec := new(events)
	l := newTestList(t, store, c, Config{MaxStale: 2 * time.Hour, InsecureFailOpenFor: time.Hour, Hooks: rec.hooks()})
	store.down.Store(true)
	ctx := context.Background()
	var got []string
	for _, age := range []time.Duration{2*time.Hour + time.Second, 3 * time.Hour, 3*time.Hour + time.Second} {
		c.add(age - c.now().Sub(t0))
		require.ErrorIs(t, l.Sync(ctx), ErrUnavailable)
		_, states := rec.take()
		for _, s := range states {
			got = append(got, s.State)
			assert.Equal(t, age, s.Age)
		}
	}
	assert.Equal(t, []string{observe.FailingOpen, observe.FailingClosed}, got)
}

func TestHooksStartUnsynced(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &switchStore{Store: NewMemory(c.now)}
	store.down.Store(true)
	rec := new(events)
	newTestList(t, store, c, Config{StartUnsynced: true, Hooks: rec.hooks()})
	syncs, states := rec.take()
	require.Len(t, syncs, 1)
	require.ErrorIs(t, syncs[0].Err, errDown)
	assert.True(t, syncs[0].SyncedAt.IsZero())
	assert.Equal(t, []observe.RevocationState{{State: observe.FailingClosed}}, states, "never synced: failing closed, no age")
}

// A sync that fails because the list is closing is no news; a panicking
// hook breaks no sync.
func TestHooksClosingAndPanics(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &switchStore{Store: NewMemory(c.now)}
	rec := new(events)
	l := newTestList(t, store, c, Config{Hooks: rec.hooks()})
	rec.take()
	l.Close()
	store.down.Store(true)
	require.ErrorIs(t, l.Sync(context.Background()), ErrUnavailable)
	syncs, states := rec.take()
	assert.Empty(t, syncs)
	assert.Empty(t, states)

	hooks := &observe.Hooks{
		OnRevocationSync:  func(context.Context, observe.RevocationSync) { panic("boom") },
		OnRevocationState: func(context.Context, observe.RevocationState) { panic("boom") },
		Logger:            quiet,
	}
	store = &switchStore{Store: NewMemory(c.now)}
	l = newTestList(t, store, c, Config{MaxStale: 2 * time.Hour, Hooks: hooks})
	require.NoError(t, l.RevokeToken(context.Background(), "jti-1", t0.Add(24*time.Hour)))
	store.down.Store(true)
	c.add(3 * time.Hour)
	require.ErrorIs(t, l.Sync(context.Background()), ErrUnavailable)
	store.down.Store(false)
	require.NoError(t, l.Sync(context.Background()))
	revoked, err := l.Check("jti-1", "", t0)
	require.NoError(t, err)
	assert.True(t, revoked)
	assert.EqualValues(t, 5, hooks.Panics(), "the first sync, two more, two changes of freshness")
}
