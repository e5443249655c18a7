package benchmarks

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/token"
)

// Propagation: how many revocations a run times, and how long each may take
// to reach the other replica before the run fails.
const (
	propagationRevocations = 100
	propagationLimit       = 5 * time.Second
	// propagationGap bounds the random pause between two revocations, so
	// that they fall at random points of replica B's poll interval.
	propagationGap = 50 * time.Millisecond
)

// BenchmarkRevocationPropagation revokes 100 tokens through replica A (its
// list on the Redis store) and measures, for each, how long until replica B
// (a second list, client and middleware on the same store, with the default
// 250 ms poll interval) first answers a request with that token 401. B has
// verified and cached every token beforehand, so the refusal comes from
// re-checking revocations on a cache hit. Revocations are written at random
// points of B's poll interval (a pause of up to 50 ms between two). It
// reports the nearest-rank p50 and p99 and the worst latency in ms; ns/op
// is the length of a batch of 100, not a goal. Each wait is bounded by 5 s.
func BenchmarkRevocationPropagation(b *testing.B) {
	b.Run("store="+redisKind(), func(b *testing.B) {
		f := esFixture(b)
		addr, prefix := redisServer(b)
		ctx := context.Background()
		a, err := newReplica(ctx, addr, prefix, f, cacheSize)
		require.NoError(b, err)
		b.Cleanup(a.Close)
		rb, err := newReplica(ctx, addr, prefix, f, cacheSize)
		require.NoError(b, err)
		b.Cleanup(rb.Close)
		iss, err := token.NewIssuer(token.IssuerConfig{
			Keys: f.signer, Issuer: issuer, Audience: []string{audience},
			TTL: token.Lifetimes{Execution: lifetime},
		})
		require.NoError(b, err)
		var lat []time.Duration
		var gap time.Duration
		for b.Loop() {
			b.StopTimer()
			batch := newBatch(b, iss, a, rb, propagationRevocations)
			b.StartTimer()
			l, g := batch.run(b)
			lat, gap = append(lat, l...), max(gap, g)
		}
		b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
		b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
		b.ReportMetric(ms(percentile(lat, 1)), "max-ms")
		// What delays other than the poll interval came from: the watcher
		// not running (a busy machine), or syncs that failed.
		b.ReportMetric(ms(gap), "scan-gap-ms")
		b.ReportMetric(float64(a.warnings.Load()+rb.warnings.Load()), "sync-warnings")
	})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile returns the nearest-rank q-quantile of lat (sorting it): the
// smallest value with at least q of the values at or below it.
func percentile(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	rank := int(math.Ceil(q*float64(len(lat)))) - 1
	return lat[min(max(rank, 0), len(lat)-1)]
}

// batch is one set of tokens to revoke through replica a and watch for on
// replica b.
type batch struct {
	a      *replica
	claims []*token.Claims
	checks []func() int // one request through b per token: its status
}

// newBatch mints n execution tokens of distinct tasks and sends each once
// through b, which must admit (and cache) it.
func newBatch(tb testing.TB, iss *token.Issuer, a, b *replica, n int) *batch {
	tb.Helper()
	v, err := revocationVerifier(esFixture(tb), 0, nil)
	require.NoError(tb, err)
	bt := &batch{a: a}
	for range n {
		raw, err := iss.Execution(uuid.New())
		require.NoError(tb, err)
		c, err := v.Verify(context.Background(), string(raw))
		require.NoError(tb, err)
		check := statusOf(b.h, string(raw))
		require.Equal(tb, http.StatusNoContent, check(), "replica B admits the token before it is revoked")
		bt.claims = append(bt.claims, c)
		bt.checks = append(bt.checks, check)
	}
	return bt
}

// revoked is a revocation written through replica A, and when its write
// started.
type revoked struct {
	i     int
	start time.Time
}

// run revokes every token of bt through A, one after another with random
// pauses, and returns for each the time from the start of its write until
// the first request through B that got 401, and the longest time between
// two scans of the pending tokens (each scan sleeps 1 ms first): what the
// measurement itself may have added. Any other answer than 204 or 401, a
// failed write, or a wait over propagationLimit fails tb.
func (bt *batch) run(tb testing.TB) (lat []time.Duration, gap time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan revoked, len(bt.claims))
	failed := make(chan error, 1)
	go func() {
		for i, c := range bt.claims {
			select {
			case <-ctx.Done():
				return
			case <-time.After(rand.N(propagationGap)):
			}
			started <- revoked{i: i, start: time.Now()}
			if err := bt.a.list.RevokeToken(ctx, c.ID, c.ExpiresAt); err != nil {
				failed <- err
				return
			}
		}
	}()
	out := make([]time.Duration, 0, len(bt.claims))
	var pending []revoked
	last := time.Now()
	for len(out) < len(bt.claims) {
		now := time.Now()
		if len(pending) > 0 {
			gap = max(gap, now.Sub(last))
		}
		last = now
		select {
		case err := <-failed:
			tb.Fatalf("revoking through replica A: %v", err)
		case r := <-started:
			pending = append(pending, r)
			continue
		default:
		}
		pending = slices.DeleteFunc(pending, func(r revoked) bool {
			code := bt.checks[r.i]()
			now := time.Since(r.start)
			switch code {
			case http.StatusNoContent:
				if now > propagationLimit {
					tb.Fatalf("replica B still admits token %d %v after it was revoked", r.i, now)
				}
				return false
			case http.StatusUnauthorized:
				out = append(out, now)
				return true
			}
			tb.Fatalf("replica B answered %d", code)
			return false
		})
		time.Sleep(time.Millisecond)
	}
	return out, gap
}
