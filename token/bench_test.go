package token

import (
	"context"
	"testing"

	"github.com/execauth/execauth/jwks"
	"github.com/google/uuid"
)

func BenchmarkVerify(b *testing.B) {
	for _, alg := range []jwks.Algorithm{jwks.ES256, jwks.EdDSA, jwks.RS256, jwks.HS256} {
		b.Run(string(alg), func(b *testing.B) {
			f := newFixture(b, alg, nil)
			raw, err := f.iss.Execution(uuid.New())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.v.Verify(ctx, string(raw)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyCached measures a cache hit: a token presented again.
func BenchmarkVerifyCached(b *testing.B) {
	f := newFixture(b, "ES256", func(c *VerifierConfig) { c.CacheSize = 1024 })
	raw, err := f.iss.Execution(uuid.New())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := f.v.Verify(ctx, string(raw)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Verify(ctx, string(raw)); err != nil {
			b.Fatal(err)
		}
	}
}
