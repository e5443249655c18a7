package jwks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// A verifier that trusts the keys an issuer publishes as a JWK Set.
func ExampleNew() {
	// The issuer's side: a signing key and the JWK Set it serves.
	key, err := jwks.Generate(jwks.ES256)
	if err != nil {
		panic(err)
	}
	set, err := jwks.MarshalSet(key.Public())
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(set)
	}))
	defer srv.Close()

	// The verifier's side: the ctx given to New bounds the background
	// refresh, so it lives as long as the server does.
	ctx := context.Background()
	cache, err := jwks.NewCache(ctx, jwks.CacheConfig{URLs: []string{srv.URL}})
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	fmt.Println("ready:", cache.Ready())

	now := func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	iss, err := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: now})
	if err != nil {
		panic(err)
	}
	raw, err := iss.Processor("dag-processor")
	if err != nil {
		panic(err)
	}
	v, err := token.NewVerifier(token.VerifierConfig{Keys: cache, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: now})
	if err != nil {
		panic(err)
	}
	claims, err := v.Verify(ctx, string(raw))
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.Subject, claims.Class())

	// A kid the set does not have: refused at once, since the set was
	// fetched less than a cooldown ago.
	_, err = cache.LookupKey(ctx, "retired-key", jwks.ES256)
	fmt.Println(errors.Is(err, jwks.ErrUnknownKey))
	// Output:
	// ready: <nil>
	// dag-processor processor
	// true
}
