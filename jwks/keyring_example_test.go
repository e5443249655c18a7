package jwks_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// An issuer rotates its signing key. New tokens are signed with the new key
// at once; tokens the old key signed keep verifying, and the old key stays
// published, until RetireAfter has passed.
func ExampleKeyring_Rotate() {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key := func(kid string, seed byte) *jwks.SigningKey {
		k, err := jwks.NewSigningKey(kid, "", ed25519.NewKeyFromSeed(append([]byte{seed}, make([]byte, ed25519.SeedSize-1)...)))
		if err != nil {
			panic(err)
		}
		return k
	}
	ring, err := jwks.NewKeyring(jwks.KeyringConfig{Active: key("2025-01", 1), Now: clock})
	if err != nil {
		panic(err)
	}
	// The issuer signs with the ring's active key; the verifier trusts every
	// key the ring still holds.
	issuer, err := token.NewIssuer(token.IssuerConfig{Keys: ring, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock})
	if err != nil {
		panic(err)
	}
	verifier, err := token.NewVerifier(token.VerifierConfig{Keys: ring, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock})
	if err != nil {
		panic(err)
	}
	verify := func(raw token.Raw) string {
		c, err := verifier.Verify(context.Background(), string(raw))
		if err != nil {
			return token.Reason(err)
		}
		return "verified, signed by " + c.KeyID()
	}
	published := func() []string {
		var kids []string
		for _, k := range ring.PublicKeys() {
			kids = append(kids, k.ID())
		}
		return kids
	}

	old, err := issuer.Processor("dag-processor")
	if err != nil {
		panic(err)
	}
	if err := ring.Rotate(key("2025-02", 2)); err != nil {
		panic(err)
	}
	fresh, err := issuer.Processor("dag-processor")
	if err != nil {
		panic(err)
	}
	fmt.Println("active:", ring.Active().ID(), "published:", published())
	fmt.Println("old token:", verify(old))
	fmt.Println("new token:", verify(fresh))

	// RetireAfter (24h5m by default) covers the longest lifetime, so every
	// token the old key signed has expired by the time the key goes; one
	// still presented is refused as signed by an unknown key.
	now = now.Add(jwks.DefaultRetireAfter)
	fmt.Println("a day later, published:", published(), "holds 2025-01:", ring.Holds("2025-01"))
	fmt.Println("old token:", verify(old))
	// Output:
	// active: 2025-02 published: [2025-02 2025-01]
	// old token: verified, signed by 2025-01
	// new token: verified, signed by 2025-02
	// a day later, published: [2025-02] holds 2025-01: false
	// old token: unknown_key
}
