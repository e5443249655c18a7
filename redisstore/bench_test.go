package redisstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/execauth/execauth/redisstore"
	"github.com/execauth/execauth/revoke"
)

// BenchmarkPropagation revokes 100 tokens through replica A's list and
// measures, for each, when replica B's list first refuses it, with the
// default poll interval (250ms). It reports the p50, p99 and worst latency. Each
// wait is bounded by 5s.
func BenchmarkPropagation(b *testing.B) {
	c := newClient(b, sharedAddr(b))
	store, err := redisstore.New(redisstore.Config{Client: c, Prefix: testPrefix(b, c)})
	if err != nil {
		b.Fatal(err)
	}
	lists := make([]*revoke.List, 2)
	for i := range lists {
		l, err := revoke.NewList(context.Background(), revoke.Config{Store: store, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(l.Close)
		lists[i] = l
	}
	a, replica := lists[0], lists[1]
	const revocations = 100
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		for j := range revocations {
			jti := fmt.Sprintf("bench-%d-%d", i, j)
			// Revocations arrive at random points of B's poll interval.
			time.Sleep(rand.N(revoke.DefaultPollInterval))
			start := time.Now()
			if err := a.RevokeToken(context.Background(), jti, start.Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			for {
				revoked, err := replica.Check(jti, "", start)
				if err == nil && revoked {
					break
				}
				if time.Since(start) > 5*time.Second {
					b.Fatalf("replica B did not refuse %s within 5s", jti)
				}
				time.Sleep(time.Millisecond)
			}
			lat = append(lat, time.Since(start))
		}
	}
	slices.Sort(lat)
	ms := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(ms(1), "max-ms")
}

// BenchmarkFullLoad measures how long a replica that starts takes to load
// 100 000 live entries from Redis (NewList's first sync).
func BenchmarkFullLoad(b *testing.B) {
	const n = 100_000
	c := newClient(b, sharedAddr(b))
	store, err := redisstore.New(redisstore.Config{Client: c, Prefix: testPrefix(b, c)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				if err := store.Revoke(ctx, revoke.Entry{JTI: fmt.Sprintf("%032x", i), Until: until}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for b.Loop() {
		l, err := revoke.NewList(ctx, revoke.Config{Store: store, Logger: quiet, Timeout: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		if l.Len() != n {
			b.Fatalf("loaded %d entries, want %d", l.Len(), n)
		}
		l.Close()
	}
	b.ReportMetric(n, "entries")
}
