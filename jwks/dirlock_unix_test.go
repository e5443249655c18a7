//go:build unix

package jwks_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// TestDirWritersTakeTurns: writers through separate Dirs, as separate
// processes would be, publishing at the same time lose none of one
// another's keys.
func TestDirWritersTakeTurns(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	const writers = 8
	keys := make([]*jwks.SigningKey, writers)
	dirs := make([]*jwks.Dir, writers)
	for i := range writers {
		keys[i], dirs[i] = testkit.Key(t, jwks.ES256, ""), e.open(t)
	}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { assert.NoError(t, dirs[i].Publish(t.Context(), keys[i])) })
	}
	wg.Wait()
	got := states(e.open(t))
	for _, k := range keys {
		assert.Equal(t, jwks.StatePublished, got[k.ID()], k.ID())
	}
	assert.Len(t, got, writers+2, "the two keys of the env and every writer's")
}

// TestDirWriteWaitsForLock: a write waits while another process holds the
// writer lock, gives up when its ctx ends and leaves the manifest as it was,
// and goes through once the lock is free.
func TestDirWriteWaitsForLock(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	other, err := os.OpenFile(filepath.Join(e.path, writerLock), os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	require.NoError(t, syscall.Flock(int(other.Fd()), syscall.LOCK_EX)) // another writer at work
	before := e.manifest(t)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, e.dir.Activate(ctx, e.b.ID()), context.DeadlineExceeded)
	assert.Equal(t, before, e.manifest(t))
	assert.Equal(t, e.a.ID(), e.dir.Active().ID())

	require.NoError(t, other.Close()) // the other writer is done
	require.NoError(t, e.dir.Activate(t.Context(), e.b.ID()))
	assert.Equal(t, e.b.ID(), e.dir.Active().ID())
}
