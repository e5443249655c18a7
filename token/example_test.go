package token_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

func Example() {
	// A fixed key and clock keep the output stable; use jwks.Generate and time.Now in a server.
	key, _ := jwks.NewSigningKey("key-1", "", ed25519.NewKeyFromSeed(make([]byte, 32)))
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }

	iss, _ := token.NewIssuer(token.IssuerConfig{
		Keys: key, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock,
	})
	keys, _ := jwks.NewStatic(key.Public())
	v, _ := token.NewVerifier(token.VerifierConfig{
		Keys: keys, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock,
	})

	raw, _ := iss.Workload(uuid.MustParse("0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d"))
	fmt.Println("minted:", raw) // a Raw token never prints itself

	claims, err := v.Verify(context.Background(), string(raw))
	if err != nil {
		panic(err)
	}
	fmt.Println("class:", claims.Class(), "task:", claims.Subject)
	fmt.Println("expires:", claims.ExpiresAt.UTC().Format(time.RFC3339))

	at = at.Add(25 * time.Hour)
	_, err = v.Verify(context.Background(), string(raw))
	fmt.Println("a day later:", errors.Is(err, token.ErrExpired))
	// Output:
	// minted: [REDACTED]
	// class: workload task: 0195f3c4-6b9e-7a43-9c1d-2f0e8a6b5c4d
	// expires: 2026-01-02T12:00:00Z
	// a day later: true
}
