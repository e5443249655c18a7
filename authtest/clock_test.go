package authtest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/execauth/execauth/authtest"
)

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		move func(*authtest.Clock)
		want time.Time
	}{
		{"stopped", func(*authtest.Clock) {}, start},
		{"advance", func(c *authtest.Clock) { c.Advance(90 * time.Second) }, start.Add(90 * time.Second)},
		{"advance back", func(c *authtest.Clock) { c.Advance(-time.Hour) }, start.Add(-time.Hour)},
		{"set", func(c *authtest.Clock) { c.Set(start.AddDate(1, 0, 0)) }, start.AddDate(1, 0, 0)},
		{"set then advance", func(c *authtest.Clock) {
			c.Set(start.Add(time.Hour))
			c.Advance(time.Minute)
		}, start.Add(time.Hour + time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := authtest.NewClock(start)
			tc.move(c)
			if got := c.Now(); !got.Equal(tc.want) {
				t.Errorf("Now() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestClockConcurrent fails under -race if Clock is not synchronized, and
// without it if an Advance is lost.
func TestClockConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, steps = 8, 200
	c := authtest.NewClock(start)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range steps {
				c.Advance(time.Second)
			}
		}()
		go func() {
			defer wg.Done()
			for range steps {
				if c.Now().Before(start) {
					t.Error("clock went backwards")
					return
				}
			}
		}()
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(goroutines*steps*time.Second); !got.Equal(want) {
		t.Errorf("after concurrent Advance: %v, want %v", got, want)
	}
	c.Set(start) // Set races with nothing now, but must still take effect
	if got := c.Now(); !got.Equal(start) {
		t.Errorf("after Set: %v, want %v", got, start)
	}
}
