package benchmarks

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The token-shape benchmarks. Row names are <Group>/<alg>/<contender>/<shape>,
// so that cmd/table sets each beside the floor of its algorithm.

func BenchmarkExtra(b *testing.B)    { benchGroup(b, groups[0]) }
func BenchmarkAudience(b *testing.B) { benchGroup(b, groups[1]) }
func BenchmarkHostile(b *testing.B)  { benchGroup(b, groups[2]) }
func BenchmarkKids(b *testing.B)     { benchGroup(b, groups[3]) }
func BenchmarkThrash(b *testing.B)   { benchGroup(b, groups[4]) }

// TestShapesAgree: on every shape each contender accepts or rejects every
// token as the shape says, so that the rows compare the same outcome.
func TestShapesAgree(t *testing.T) {
	t.Parallel()
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			vs, shapes, err := g.build(buildFixture(t, g.alg))
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(vs), 2, "golang-jwt and execauth at least")
			for _, v := range vs {
				for _, s := range shapes {
					for _, raw := range s.tokens {
						err := v.check(raw)
						assert.Equal(t, s.accept, err == nil, "%s %s: %v", v.name, s.name, err)
					}
				}
			}
		})
	}
}

func TestBenchmarkGroupsInOrder(t *testing.T) {
	t.Parallel()
	want := []string{"Extra", "Audience", "Hostile", "Kids", "Thrash"}
	for i, g := range groups {
		assert.Equal(t, want[i], g.name, "BenchmarkX functions index groups by position")
	}
}

// buildFixture returns the shared fixture of alg.
func buildFixture(tb testing.TB, alg string) *fixture {
	tb.Helper()
	all, err := fixtures()
	require.NoError(tb, err)
	require.NotNil(tb, all[alg], alg)
	return all[alg]
}

// benchGroup times each verifier on each shape, cycling through its
// tokens. Each token is checked once, untimed, first (which also fills
// caches), and the run fails on the first outcome that differs from
// shape.accept.
func benchGroup(b *testing.B, g group) {
	vs, shapes, err := g.build(buildFixture(b, g.alg))
	require.NoError(b, err)
	b.Run(g.alg, func(b *testing.B) {
		for _, v := range vs {
			b.Run(v.name, func(b *testing.B) {
				for _, s := range shapes {
					b.Run(s.name, func(b *testing.B) {
						for _, raw := range s.tokens {
							if err := v.check(raw); (err == nil) != s.accept {
								b.Fatalf("accepted %v, want %v: %v", err == nil, s.accept, err)
							}
						}
						b.ReportAllocs()
						start, ok := cpuTime()
						i := 0
						for b.Loop() {
							if err := v.check(s.tokens[i]); (err == nil) != s.accept {
								b.Fatal(err)
							}
							if i++; i == len(s.tokens) {
								i = 0
							}
						}
						if end, ok2 := cpuTime(); ok && ok2 {
							b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
						}
					})
				}
			})
		}
	})
}
