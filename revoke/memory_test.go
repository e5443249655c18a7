package revoke_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/revoke/storetest"
)

func TestMemoryContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) revoke.Store { return revoke.NewMemory(nil) })
}

func TestMemoryCursorOfAnotherStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := revoke.NewMemory(nil), revoke.NewMemory(nil)
	e := revoke.Entry{JTI: "jti-1", Until: time.Now().Add(time.Hour)}
	require.NoError(t, a.Revoke(ctx, e))
	require.NoError(t, b.Revoke(ctx, e))
	require.NoError(t, b.Revoke(ctx, revoke.Entry{JTI: "jti-2", Until: time.Now().Add(time.Hour)}))
	_, cursor, err := b.Since(ctx, "")
	require.NoError(t, err)
	got, _, err := a.Since(ctx, cursor)
	require.NoError(t, err)
	assert.Len(t, got, 1, "a's every entry, not a gap")
}

func TestMemoryFirstExchangeExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	store := revoke.NewMemory(c.now)
	first, err := store.FirstExchange(ctx, "task-1", c.now(), c.now().Add(time.Hour))
	require.NoError(t, err)

	c.add(time.Hour - time.Second)
	got, err := store.FirstExchange(ctx, "task-1", c.now(), c.now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, first, got, "held until its until")

	c.add(time.Second)
	got, err = store.FirstExchange(ctx, "task-1", c.now(), c.now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, c.now(), got.UTC(), "past its until, a new first exchange")
}

func TestMemorySinceDropsExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	store := revoke.NewMemory(c.now)
	require.NoError(t, store.Revoke(ctx, revoke.Entry{JTI: "short", Until: c.now().Add(time.Second)}))
	require.NoError(t, store.Revoke(ctx, revoke.Entry{JTI: "long", Until: c.now().Add(time.Hour)}))
	c.add(time.Second)
	got, _, err := store.Since(ctx, "")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "long", got[0].JTI)
}
