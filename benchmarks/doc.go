// Package benchmarks compares execauth's token verification with peer
// libraries on identical tokens and keys.
//
// Every contender gets the same execution token per algorithm (HS256, RS256,
// ES256, EdDSA), minted once by execauth's token.Issuer, and is configured to
// check the same things: the pinned algorithm, iss, aud, exp (required), nbf,
// iat, a 10 s leeway, scope "execution", a UUID sub and the lifetime
// exp - iat. The floor is the standard library's signature check alone. The
// sanity tests show that each contender accepts the token and rejects
// tampered and out-of-policy ones, so no contender is fast because it checks
// less.
//
// # Example
//
// Run every benchmark and print the table of medians (see README.md):
//
//	./run.sh                       # COUNT=6 BENCHTIME=200ms by default
//	go test -run '^$' -bench 'Verify/ES256' -benchmem
package benchmarks
