package benchmarks

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/redisstore"
	"github.com/execauth/execauth/revoke"
)

// redisKind names the Redis server of the revocation rows, in their names:
// "redis" for a real server at EXECAUTH_REDIS_ADDR (host:port), else
// "miniredis", an in-process Redis-protocol server started by each run.
func redisKind() string {
	if os.Getenv("EXECAUTH_REDIS_ADDR") != "" {
		return "redis"
	}
	return "miniredis"
}

// redisServer returns the address of the server that redisKind names and
// a key prefix of tb's own; the prefix's keys are deleted (or the
// miniredis stopped) after tb.
func redisServer(tb testing.TB) (addr, prefix string) {
	tb.Helper()
	prefix = benchPrefix()
	addr = os.Getenv("EXECAUTH_REDIS_ADDR")
	if addr == "" {
		m := miniredis.NewMiniRedis()
		require.NoError(tb, m.Start())
		tb.Cleanup(m.Close)
		return m.Addr(), prefix
	}
	tb.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := deleteKeys(ctx, c, prefix); err != nil {
			tb.Errorf("deleting the keys under %s: %v", prefix, err)
		}
	})
	return addr, prefix
}

// seed writes the live revocations of the hot-path rows under prefix.
func seed(tb testing.TB, addr, prefix string) {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
	require.NoError(tb, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(tb, fillStore(ctx, s, liveJTIs, liveSubjects))
}

// esFixture is the shared ES256 fixture.
func esFixture(tb testing.TB) *fixture {
	tb.Helper()
	all, err := fixtures()
	require.NoError(tb, err)
	return all[string(jwks.ES256)]
}

// hotPath returns a full request through Authenticate for f's token: with a
// verified-token cache of cacheSize (timed on hits) or none, and with a
// replica's list on a seeded Redis store or no revocation check at all.
func hotPath(tb testing.TB, f *fixture, cached, store bool) func() error {
	tb.Helper()
	cache := 0
	if cached {
		cache = cacheSize
	}
	if !store {
		v, err := revocationVerifier(f, cache, nil)
		require.NoError(tb, err)
		return viaHTTP(revocationMiddleware(v), cached)(f.token)
	}
	addr, prefix := redisServer(tb)
	seed(tb, addr, prefix)
	r, err := newReplica(context.Background(), addr, prefix, f, cache)
	require.NoError(tb, err)
	tb.Cleanup(r.Close)
	require.Equal(tb, liveJTIs+liveSubjects, r.list.Len(), "the list loaded the store")
	return viaHTTP(r.h, cached)(f.token)
}

// BenchmarkRevocation times a full ES256 request through Authenticate with
// a revocation list fed by the Redis store (1 000 revoked tokens and 100
// revoked tasks, none of them the request's; the list polls Redis every
// 250 ms in the background, as in production) beside the same verifier
// with no revocation check: on cache hits, then cold (a signature check per
// request). Row names are Revocation/ES256/<contender>/store=<none|redis|
// miniredis>: cmd/table sets them beside the ES256 floor, and
// `benchstat -col /store` compares the stores.
func BenchmarkRevocation(b *testing.B) {
	alg := string(jwks.ES256)
	b.Run(alg, func(b *testing.B) {
		f := esFixture(b)
		for _, cached := range []bool{true, false} {
			name := "execauth"
			if cached {
				name += "+cache"
			}
			b.Run(name, func(b *testing.B) {
				for _, store := range []bool{false, true} {
					b.Run("store="+storeName(store), func(b *testing.B) {
						check := hotPath(b, f, cached, store)
						runtime.GC() // the garbage of seeding the store is not the request's
						timeChecks(b, check)
					})
				}
			})
		}
	})
}

// storeName is the store of a row: "none", or redisKind.
func storeName(store bool) string {
	if store {
		return redisKind()
	}
	return "none"
}

// BenchmarkRevocationPaired sends the requests of BenchmarkRevocation with
// no store and with the Redis store in alternating blocks (64 requests on
// cache hits, 1 cold), the order swapped from one pair to the next, and
// reports the median time per request of each side's blocks and their
// ratio (store/none). Load on a shared machine then falls on both sides
// alike; the medians leave out the blocks hit by descheduling (and by the
// list's poll, 4 a second, whose cost the rows of BenchmarkRevocation
// include). ns/op is a pair of blocks, not a goal.
func BenchmarkRevocationPaired(b *testing.B) {
	f := esFixture(b)
	for _, cached := range []bool{true, false} {
		name, block := "cold", 1
		if cached {
			name, block = "cache", 64
		}
		b.Run(name+"+"+redisKind(), func(b *testing.B) {
			checks := [2]func() error{hotPath(b, f, cached, false), hotPath(b, f, cached, true)}
			runtime.GC()
			times := alternate(b, checks, block)
			none := float64(percentile(times[0], 0.5)) / float64(block)
			store := float64(percentile(times[1], 0.5)) / float64(block)
			b.ReportMetric(none, "none-ns/req")
			b.ReportMetric(store, "store-ns/req")
			b.ReportMetric(store/none, "ratio")
		})
	}
}

// timeChecks times check as the other rows are timed: allocations and the
// process's CPU time per operation reported, the first failure fatal.
func timeChecks(b *testing.B, check func() error) {
	b.ReportAllocs()
	start, ok := cpuTime()
	for b.Loop() {
		if err := check(); err != nil {
			b.Fatal(err)
		}
	}
	if end, ok2 := cpuTime(); ok && ok2 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkRevocationSize times revoke.List.Check, the check that every
// request makes, on lists of 10 to 1 000 000 revoked jtis: for tokens that
// are not revoked (the common case), a different jti on each call so that
// lookups spread over the table as real traffic does. It reports the heap
// the list holds per entry (runtime.MemStats, after garbage collection,
// less that of an empty list), jti strings included, as loaded from Redis.
func BenchmarkRevocationSize(b *testing.B) {
	f := esFixture(b)
	claims := claimsOf(b, f)
	sub := claims["sub"].(string)
	iat, err := claims["iat"].(interface{ Int64() (int64, error) }).Int64()
	require.NoError(b, err)
	issuedAt := time.Unix(iat, 0)
	const mask = 4095
	misses := make([]string, mask+1)
	for i := range misses {
		misses[i] = fmt.Sprintf("%032x", 1<<62+i) // beyond every loaded jti
	}
	for _, n := range []int{10, 1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("jtis=%d", n), func(b *testing.B) {
			empty := listHeap(b, 0)
			l, held := loadedList(b, n)
			i := 0
			timeChecks(b, func() error {
				revoked, err := l.Check(misses[i&mask], sub, issuedAt)
				i++
				if revoked {
					return errRevoked
				}
				return err
			})
			b.ReportMetric(float64(held-empty)/float64(n), "B/entry")
		})
	}
}

// loadedList returns a list loaded with n revoked jtis, and the heap it
// holds.
func loadedList(tb testing.TB, n int) (*revoke.List, int64) {
	tb.Helper()
	before := liveHeap()
	l, err := revoke.NewList(context.Background(), revoke.Config{
		Store: &loadedStore{n: n, until: time.Now().Add(time.Hour)}, Logger: quietLog,
		PollInterval: time.Hour, MaxStale: 2 * time.Hour,
	})
	require.NoError(tb, err)
	held := liveHeap() - before
	tb.Cleanup(l.Close)
	require.Equal(tb, n, l.Len())
	return l, held
}

// listHeap returns the heap held by a list of n entries, closed at once.
func listHeap(tb testing.TB, n int) int64 {
	tb.Helper()
	l, held := loadedList(tb, n)
	runtime.KeepAlive(l)
	return held
}

// liveHeap returns the bytes of live heap objects after two collections.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
