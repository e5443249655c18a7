package token

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestWallClock: the default clock reads the same wall clock as time.Now, to
// the microsecond, and carries no monotonic reading.
func TestWallClock(t *testing.T) {
	t.Parallel()
	for range 100 {
		before := time.Now().Round(0).Truncate(time.Microsecond)
		got := wallClock()
		after := time.Now().Round(0)
		assert.False(t, got.Before(before), "%v before %v", got, before)
		assert.False(t, got.After(after), "%v after %v", got, after)
		assert.Equal(t, got, got.Round(0), "a monotonic reading")
	}
}
