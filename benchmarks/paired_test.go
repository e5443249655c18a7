package benchmarks

import (
	"flag"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

// BenchmarkFloorPaired times execauth's full request (cold, and for HS256
// also on cache hits) and the algorithm's floor in alternating blocks and
// reports each side's mean time per check (floor-ns/req, execauth-ns/req)
// and their ratio: the goal ratios of the Middleware rows, with a burst of
// load on a shared machine falling on both sides alike instead of on
// whichever row was timed during it. Means rather than medians, because the
// garbage collector's work, which lands in a few blocks, is part of what a
// request costs, and the two sides allocate differently. A block is 30–60 µs
// of the floor's work; ns/op is a pair of blocks, not a goal.
func BenchmarkFloorPaired(b *testing.B) {
	for _, alg := range algorithms {
		f, cs := setup(b, alg)
		floor := named(b, cs, "floor", false).prepare(f.token)
		block, names := 1, []string{"execauth"}
		if alg == string(jwks.HS256) {
			block, names = 64, append(names, "execauth+cache")
		}
		for _, name := range names {
			check := named(b, cs, name, true).prepare(f.token)
			b.Run(alg+"/"+name, func(b *testing.B) {
				runtime.GC()
				times := alternate(b, [2]func() error{floor, check}, block)
				floorNs, execNs := mean(times[0])/float64(block), mean(times[1])/float64(block)
				b.ReportMetric(floorNs, "floor-ns/req")
				b.ReportMetric(execNs, "execauth-ns/req")
				b.ReportMetric(execNs/floorNs, "ratio")
			})
		}
	}
}

// named returns the contender of cs called name that is (or is not) a full
// request.
func named(tb testing.TB, cs []contender, name string, request bool) contender {
	tb.Helper()
	for _, c := range cs {
		if c.name == name && c.request == request {
			return c
		}
	}
	tb.Fatalf("no contender %q (request %t)", name, request)
	return contender{}
}

// clock is alternate's clock; a test replaces it.
var clock = time.Now

// alternate runs the two checks in alternating blocks of block calls, the
// order swapped from one pair of blocks to the next, until b.Loop ends, and
// returns the time each block of each side took.
func alternate(b *testing.B, checks [2]func() error, block int) (times [2][]time.Duration) {
	for i := 0; b.Loop(); i++ {
		for j := range checks {
			side := j ^ i&1
			start := clock()
			for range block {
				if err := checks[side](); err != nil {
					b.Fatal(err)
				}
			}
			times[side] = append(times[side], clock().Sub(start))
		}
	}
	return times
}

// mean returns the mean of d in nanoseconds.
func mean(d []time.Duration) float64 {
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return float64(sum) / float64(max(len(d), 1))
}

// TestAlternate: both sides run the same number of blocks of block calls,
// in the order AB BA AB ..., and each block's time goes to its own side (a
// clock that a call of side A moves by 1 ns and one of side B by 2 ns makes
// every block of A take 3 ns and every block of B 6 ns); an error ends the
// benchmark as a failure.
func TestAlternate(t *testing.T) {
	benchtime := flag.Lookup("test.benchtime").Value
	prev := benchtime.String()
	require.NoError(t, benchtime.Set("20x"))
	var ticks time.Duration
	clock = func() time.Time { return time.Unix(0, int64(ticks)) }
	t.Cleanup(func() {
		_ = benchtime.Set(prev)
		clock = time.Now
	})

	var order []int
	run := func(side int) func() error {
		return func() error {
			ticks += time.Duration(side + 1)
			if len(order) == 0 || order[len(order)-1] != side {
				order = append(order, side)
			}
			return nil
		}
	}
	var got [2][]time.Duration
	res := testing.Benchmark(func(b *testing.B) {
		order = order[:0]
		got = alternate(b, [2]func() error{run(0), run(1)}, 3)
	})
	require.Equal(t, 20, res.N)
	for side, want := range []time.Duration{3, 6} {
		require.Len(t, got[side], res.N)
		for k, d := range got[side] {
			require.Equal(t, want, d, "side %d block %d", side, k)
		}
	}
	// Consecutive blocks of the same side (BA then AB) merge into one run,
	// so a block of each, swapped every pair, gives N+1 runs: 0 1 0 1 ...
	require.Len(t, order, res.N+1)
	for i, side := range order {
		require.Equal(t, i%2, side, "run %d", i)
	}

	failing := testing.Benchmark(func(b *testing.B) {
		alternate(b, [2]func() error{run(0), func() error { return errSignature }}, 1)
	})
	require.Zero(t, failing.N, "a failing check fails the benchmark")

	require.Equal(t, 2.0, mean([]time.Duration{1, 3}))
	require.Zero(t, mean(nil))
}
