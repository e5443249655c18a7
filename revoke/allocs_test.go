package revoke

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckAllocs(t *testing.T) {
	c := newClock()
	store := &switchStore{Store: NewMemory(c.now)}
	l := newTestList(t, store, c, Config{MaxStale: 2 * time.Hour})
	ctx := context.Background()
	require.NoError(t, l.RevokeToken(ctx, "jti-1", t0.Add(time.Hour)))
	require.NoError(t, l.RevokeSubject(ctx, "task-1", t0))
	for _, tc := range []struct {
		name     string
		jti, sub string
		stale    bool
	}{
		{"not revoked", "jti-2", "task-2", false},
		{"revoked jti", "jti-1", "task-2", false},
		{"revoked subject", "jti-2", "task-1", false},
		{"stale", "jti-2", "task-2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.stale {
				c.add(3 * time.Hour)
			}
			_, err := l.Check(tc.jti, tc.sub, t0)
			require.Equal(t, tc.stale, err != nil, "the case is what it says")
			allocs := testing.AllocsPerRun(1000, func() {
				_, _ = l.Check(tc.jti, tc.sub, t0)
			})
			assert.LessOrEqual(t, allocs, 0.0)
		})
	}
}
