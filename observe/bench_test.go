package observe_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/execauth/execauth/observe"
)

// BenchmarkReport measures the dispatch of one event to a hook that counts
// it, panic containment included, and the two clock readings that time a
// verification: what Authenticate adds per request when OnAuth is set.
func BenchmarkReport(b *testing.B) {
	var n atomic.Int64
	h := &observe.Hooks{OnAuth: func(_ context.Context, e observe.Auth) {
		if e.Admitted {
			n.Add(1)
		}
	}}
	ctx := context.Background()
	e := observe.Auth{Route: "PUT /task-instances/{id}/heartbeat", Class: "execution", Admitted: true}
	b.Run("event", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.Auth(ctx, e)
		}
	})
	b.Run("event and timing", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			start := h.Time()
			e.Duration = h.Time().Sub(start)
			h.Auth(ctx, e)
		}
	})
	b.Run("unset", func(b *testing.B) {
		var none *observe.Hooks
		b.ReportAllocs()
		for b.Loop() {
			none.Auth(ctx, e)
		}
	})
}
