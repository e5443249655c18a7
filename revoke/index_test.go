package revoke

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jtiEntries(n int, until time.Time) []Entry {
	out := make([]Entry, n)
	for i := range out {
		out[i] = Entry{JTI: fmt.Sprintf("%032x", i), Until: until}
	}
	return out
}

func TestIndexFoldsRecentIntoBase(t *testing.T) {
	t.Parallel()
	now := t0.Unix()
	until := t0.Add(time.Hour)
	x := emptyIndex()
	entries := jtiEntries(recentLimit+1, until)
	for i, e := range entries[:recentLimit] {
		x = x.with([]Entry{e}, now)
		require.Equal(t, i+1, x.recent.len(), "small writes go to recent")
	}
	assert.Zero(t, x.base.len())
	before := x
	x = x.with(entries[recentLimit:], now)
	assert.Equal(t, recentLimit+1, x.base.len(), "past the limit, recent is folded into base")
	assert.Zero(t, x.recent.len())
	for _, e := range entries {
		assert.True(t, x.revoked(e.JTI, "", 0))
	}
	assert.False(t, before.revoked(entries[recentLimit].JTI, "", 0), "an index is never changed in place")

	assert.Same(t, x, x.with(entries[:10], now), "nothing new: the same index")
}

func TestIndexSubjectMerge(t *testing.T) {
	t.Parallel()
	now := t0.Unix()
	x := emptyIndex()
	x = x.with([]Entry{{Subject: "s", Cutoff: t0.Add(time.Minute), Until: t0.Add(time.Hour)}}, now)
	x = x.with(jtiEntries(recentLimit, t0.Add(time.Hour)), now) // folds "s" into base
	require.Zero(t, x.recent.len())
	// An earlier cutoff with a later until: the cutoff stays, the until grows.
	x = x.with([]Entry{{Subject: "s", Cutoff: t0, Until: t0.Add(2 * time.Hour)}}, now)
	r, ok := x.subject("s")
	require.True(t, ok)
	assert.Equal(t, subjectRecord{cutoff: t0.Add(time.Minute).Unix(), until: t0.Add(2 * time.Hour).Unix()}, r)
	assert.True(t, x.revoked("", "s", t0.Add(time.Minute).Unix()))
}

func TestIndexPurged(t *testing.T) {
	t.Parallel()
	x := emptyIndex().with([]Entry{
		{JTI: "a", Until: t0.Add(time.Minute)},
		{JTI: "b", Until: t0.Add(time.Hour)},
		{Subject: "s", Cutoff: t0, Until: t0.Add(time.Minute)},
		{Subject: "u", Cutoff: t0, Until: t0.Add(time.Hour)},
	}, t0.Unix())
	assert.Same(t, x, x.purged(t0.Add(time.Minute-time.Second).Unix()), "nothing expired")
	y := x.purged(t0.Add(time.Minute).Unix())
	assert.Equal(t, 2, y.len(), "at until an entry is gone")
	assert.True(t, y.revoked("b", "", 0))
	assert.True(t, y.revoked("", "u", 0))
	assert.False(t, y.revoked("a", "s", 0))
	assert.Equal(t, 4, x.len(), "the old index is unchanged")
}

func TestMemoryLogStaysBounded(t *testing.T) {
	t.Parallel()
	m := NewMemory(nil)
	ctx := context.Background()
	base := time.Now()
	for i := range 1000 {
		require.NoError(t, m.Revoke(ctx, Entry{Subject: "s", Cutoff: base.Add(time.Duration(i) * time.Second), Until: base.Add(time.Hour + time.Duration(i)*time.Second)}))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	assert.LessOrEqual(t, len(m.log), 2*len(m.entries)+64)
}
