package revoke

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentUse runs checks, writes through two lists, direct store
// writes and syncs at once (run with -race). Every revocation that one
// goroutine saw acknowledged is refused by the list it went through, at
// every later check.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := NewMemory(c.now)
	a := newTestList(t, store, c, Config{})
	b := newTestList(t, store, c, Config{})
	ctx := context.Background()
	const writers, perWriter = 4, 300

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			l := []*List{a, b}[w%2]
			for i := range perWriter {
				jti := fmt.Sprintf("w%d-%d", w, i)
				if !assert.NoError(t, l.RevokeToken(ctx, jti, t0.Add(time.Hour))) {
					return
				}
				revoked, err := l.Check(jti, "", t0)
				if !assert.NoError(t, err) || !assert.True(t, revoked, jti) {
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for i := range writers * perWriter {
				_, _ = a.Check(fmt.Sprintf("w0-%d", i%perWriter), "task", t0)
				_, _ = b.Check("none", fmt.Sprintf("task-%d", i), t0)
			}
		})
	}
	wg.Go(func() {
		for i := range 200 {
			require.NoError(t, store.Revoke(ctx, Entry{Subject: fmt.Sprintf("task-%d", i), Cutoff: t0, Until: t0.Add(time.Hour)}))
			_ = a.Sync(ctx)
			_ = b.Sync(ctx)
		}
	})
	wg.Wait()

	require.NoError(t, a.Sync(ctx))
	require.NoError(t, b.Sync(ctx))
	for _, l := range []*List{a, b} {
		assert.Equal(t, writers*perWriter+200, l.Len(), "both lists hold every entry after a sync")
		for w := range writers {
			for i := range perWriter {
				revoked, err := l.Check(fmt.Sprintf("w%d-%d", w, i), "", t0)
				require.NoError(t, err)
				require.True(t, revoked)
			}
		}
	}
}
