package benchmarks

import "testing"

// BenchmarkVerify times each library's verification of the shared token,
// the floor first.
func BenchmarkVerify(b *testing.B) { benchmark(b, false) }

// BenchmarkMiddleware times a full request through each middleware, after
// the floor again: a full request's ratio then divides by a floor timed
// seconds before it rather than a group earlier, so that a drift in the
// machine's speed between the groups does not enter the ratio.
func BenchmarkMiddleware(b *testing.B) { benchmark(b, true) }

// benchmark runs the contenders of one kind for every algorithm. Besides
// ns/op (wall time) it reports cpu-ns/op, the process's CPU time per
// operation: on a shared machine a descheduled benchmark inflates wall time
// but not CPU time, and CPU time also counts the garbage collector's work
// on other cores.
func benchmark(b *testing.B, request bool) {
	for _, alg := range algorithms {
		b.Run(alg, func(b *testing.B) {
			f, cs := setup(b, alg)
			for _, c := range cs {
				if c.request != request && !(request && c.name == "floor") {
					continue
				}
				b.Run(c.name, func(b *testing.B) {
					check := c.prepare(f.token)
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
				})
			}
		})
	}
}
