package testkit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Events records the events of one kind reported to an observe.Hooks func:
// pass its Add as the hook, e.g. observe.Hooks{OnAuth: rec.Add}. It is safe
// for concurrent use.
type Events[T any] struct {
	mu     sync.Mutex
	events []T
}

// Add records e.
func (r *Events[T]) Add(_ context.Context, e T) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// All returns a copy of the events recorded so far, in order.
func (r *Events[T]) All() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.events...)
}

// Reset forgets the events recorded so far.
func (r *Events[T]) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// StepClock returns a clock that starts at start and moves on by step at
// every call, so that a duration measured between two calls is exactly step.
func StepClock(start time.Time, step time.Duration) func() time.Time {
	var n atomic.Int64
	return func() time.Time { return start.Add(time.Duration(n.Add(1)-1) * step) }
}
