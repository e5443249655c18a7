package revoke

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// t0 is where every test clock starts: a whole second.
var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// fakeClock is a clock that tests move by hand; safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: t0} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var errDown = errors.New("store down")

// switchStore wraps a Store and fails every call while down is set, counting
// the calls of Since.
type switchStore struct {
	Store
	down   atomic.Bool
	polls  atomic.Int64
	writes atomic.Int64
}

func (s *switchStore) Revoke(ctx context.Context, e Entry) error {
	if s.down.Load() {
		return errDown
	}
	s.writes.Add(1)
	return s.Store.Revoke(ctx, e)
}

func (s *switchStore) Since(ctx context.Context, cursor string) ([]Entry, string, error) {
	s.polls.Add(1)
	if s.down.Load() {
		return nil, "", errDown
	}
	return s.Store.Since(ctx, cursor)
}

// quiet is a logger that discards everything.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newTestList returns a list on store with clock c that polls once an hour
// (so no background sync runs during a test) and is closed after the test.
func newTestList(t *testing.T, store Store, c *fakeClock, cfg Config) *List {
	t.Helper()
	cfg.Store, cfg.Now, cfg.Logger = store, c.now, quiet
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Hour
	}
	if cfg.MaxStale == 0 {
		cfg.MaxStale = 2 * time.Hour
	}
	l, err := NewList(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	return l
}
