package benchmarks

import "testing"

// BenchmarkVerify times each library's verification of the shared token,
// the floor first.
func BenchmarkVerify(b *testing.B) { benchmark(b, false) }

// BenchmarkMiddleware times a full request through each middleware.
func BenchmarkMiddleware(b *testing.B) { benchmark(b, true) }

func benchmark(b *testing.B, request bool) {
	for _, alg := range algorithms {
		b.Run(alg, func(b *testing.B) {
			f, cs := setup(b, alg)
			for _, c := range cs {
				if c.request != request {
					continue
				}
				b.Run(c.name, func(b *testing.B) {
					check := c.prepare(f.token)
					b.ReportAllocs()
					for b.Loop() {
						if err := check(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
