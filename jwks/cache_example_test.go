package jwks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// A verifier of another service's tokens keeps that service's JWK Set in a
// Cache: fetched at start, refreshed in the background, and kept through an
// outage of the key server until MaxStale.
func ExampleCache() {
	// The issuer's side: a signing key and the JWK Set it serves, from a
	// server that can be taken down.
	key, err := jwks.Generate(jwks.ES256)
	if err != nil {
		panic(err)
	}
	set, err := jwks.MarshalSet(key.Public())
	if err != nil {
		panic(err)
	}
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(set)
	}))
	defer srv.Close()

	// The verifier's side, on a clock the example moves. The ctx given to
	// NewCache bounds the first fetch only; Close ends the background refresh.
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cache, err := jwks.NewCache(context.Background(), jwks.CacheConfig{URLs: []string{srv.URL}, MaxStale: time.Hour, Now: clock})
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	verifier, err := token.NewVerifier(token.VerifierConfig{Keys: cache, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock})
	if err != nil {
		panic(err)
	}
	issuer, err := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "scheduler", Audience: []string{"execution-api"}, Now: clock})
	if err != nil {
		panic(err)
	}
	verify := func() string {
		raw, err := issuer.Processor("dag-processor")
		if err != nil {
			panic(err)
		}
		if _, err := verifier.Verify(context.Background(), string(raw)); err != nil {
			return token.Reason(err)
		}
		return "verified"
	}

	fmt.Println("after the first fetch:", verify())
	// A kid the set does not have is refused at once: the set was fetched
	// less than a Cooldown ago, so no fetch starts.
	_, err = cache.LookupKey(context.Background(), "retired-key", jwks.ES256)
	fmt.Println("unknown kid:", errors.Is(err, jwks.ErrUnknownKey))

	down.Store(true)
	fmt.Println("refresh while the key server is down:", errors.Is(cache.Refresh(context.Background()), jwks.ErrKeysUnavailable))
	now = now.Add(59 * time.Minute)
	fmt.Println("59 minutes later:", verify())
	now = now.Add(time.Minute)
	fmt.Println("at MaxStale:", verify())
	down.Store(false)
	if err := cache.Refresh(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println("back up:", verify())
	// Output:
	// after the first fetch: verified
	// unknown kid: true
	// refresh while the key server is down: true
	// 59 minutes later: verified
	// at MaxStale: keys_unavailable
	// back up: verified
}
