package token

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/revoke"
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

// BenchmarkVerifyRevocations compares a cache hit and a full ES256
// verification without and with a revocation list of 1 000 entries (the
// list answers from memory; which store feeds it does not matter here).
func BenchmarkVerifyRevocations(b *testing.B) {
	for _, cached := range []bool{true, false} {
		for _, withList := range []bool{false, true} {
			name := map[bool]string{true: "cached", false: "cold"}[cached] + map[bool]string{false: "/none", true: "/list"}[withList]
			b.Run(name, func(b *testing.B) {
				f := newFixture(b, "ES256", func(c *VerifierConfig) {
					if cached {
						c.CacheSize = 1024
					}
					if withList {
						l := newBenchList(b)
						c.Revocations = l
					}
				})
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
			})
		}
	}
}

func newBenchList(b *testing.B) *revoke.List {
	l, err := revoke.NewList(context.Background(), revoke.Config{
		Store: revoke.NewMemory(clock), Now: clock, PollInterval: time.Hour, MaxStale: 2 * time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(l.Close)
	for i := range 1000 {
		if err := l.RevokeToken(context.Background(), fmt.Sprintf("%032x", i), now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

// BenchmarkVerifyExtra measures a token with 20 host claims and 10
// audiences (see bigToken).
func BenchmarkVerifyExtra(b *testing.B) {
	f := newFixture(b, jwks.HS256, nil)
	raw := bigToken(b, f)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}
