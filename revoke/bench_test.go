package revoke

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkCheck measures Check on lists of 10 to 1 000 000 revoked jtis
// (and as many subjects' worth of lookups): a token that is not revoked (the
// common case) and one that is. It reports the heap held per entry.
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{10, 1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("jtis=%d", n), func(b *testing.B) {
			l, perEntry := benchList(b, n)
			b.Run("miss", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if revoked, err := l.Check("ffffffffffffffffffffffffffffffff", "task", t0); revoked || err != nil {
						b.Fatal(revoked, err)
					}
				}
				b.ReportMetric(perEntry, "B/entry")
			})
			b.Run("hit", func(b *testing.B) {
				jti := fmt.Sprintf("%032x", n/2)
				b.ReportAllocs()
				for b.Loop() {
					if revoked, _ := l.Check(jti, "task", t0); !revoked {
						b.Fatal("not revoked")
					}
				}
			})
			b.Run("miss-parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if revoked, err := l.Check("ffffffffffffffffffffffffffffffff", "task", t0); revoked || err != nil {
							b.Fatal(revoked, err)
						}
					}
				})
			})
		})
	}
}

// benchList returns a list holding n revoked jtis, and the heap it holds per
// entry (the entries' strings included).
func benchList(b *testing.B, n int) (*List, float64) {
	b.Helper()
	c := newClock()
	l, err := NewList(context.Background(), Config{Store: NewMemory(c.now), Now: c.now, Logger: quiet, PollInterval: time.Hour, MaxStale: 2 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(l.Close)
	until := t0.Add(time.Hour)
	before := heap()
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{JTI: fmt.Sprintf("%032x", i), Until: until}
	}
	l.apply(entries, t0)
	entries = nil
	perEntry := float64(heap()-before) / float64(n)
	if l.Len() != n {
		b.Fatalf("list holds %d entries, want %d", l.Len(), n)
	}
	return l, perEntry
}

func heap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
