package testkit

import (
	"crypto/ed25519"
	"testing"

	"github.com/execauth/execauth/jwks"
)

// Key returns a new signing key of alg bound to kid ("" for the key's
// default id), from jwks.Generate: RS* and PS* keys are 2048-bit RSA, HS*
// secrets as long as their hash.
func Key(t testing.TB, alg jwks.Algorithm, kid string) *jwks.SigningKey {
	t.Helper()
	g, err := jwks.Generate(alg)
	if err != nil {
		t.Fatalf("testkit: generate %s: %v", alg, err)
	}
	k, err := jwks.NewSigningKey(kid, alg, g.Private())
	if err != nil {
		t.Fatalf("testkit: bind %s key to %q: %v", alg, kid, err)
	}
	return k
}

// Seeded returns an Ed25519 signing key bound to kid ("" for the key's
// default id) whose private key is derived from seed alone: the same seed
// gives the same key in every run.
func Seeded(t testing.TB, kid string, seed byte) *jwks.SigningKey {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	k, err := jwks.NewSigningKey(kid, "", ed25519.NewKeyFromSeed(s))
	if err != nil {
		t.Fatalf("testkit: seeded key: %v", err)
	}
	return k
}
