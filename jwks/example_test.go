package jwks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/execauth/execauth/jwks"
)

// A new key and its public JWK Set. The private scalar never leaves the
// SigningKey.
func ExampleGenerate() {
	key, err := jwks.Generate(jwks.ES256)
	if err != nil {
		panic(err)
	}
	set, err := jwks.MarshalSet(key.Public())
	if err != nil {
		panic(err)
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(set, &doc); err != nil {
		panic(err)
	}
	jwk := doc.Keys[0]
	_, private := jwk["d"]
	fmt.Println(len(doc.Keys), jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"])
	fmt.Println("kid is the RFC 7638 thumbprint:", jwk["kid"] == key.ID())
	fmt.Println("private member:", private)
	// Output:
	// 1 EC P-256 ES256 sig
	// kid is the RFC 7638 thumbprint: true
	// private member: false
}

// An issuer serves its keyring, publishes the next key ahead of rotation,
// then rotates; the replaced key stays published until RetireAfter.
func ExampleHandler() {
	named := func(kid string) *jwks.SigningKey {
		k, err := jwks.Generate(jwks.EdDSA)
		if err != nil {
			panic(err)
		}
		k, err = jwks.NewSigningKey(kid, "", k.Private())
		if err != nil {
			panic(err)
		}
		return k
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ring, err := jwks.NewKeyring(jwks.KeyringConfig{
		Active: named("2025-01"), RetireAfter: 25 * time.Hour, Now: func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(jwks.Handler(ring, time.Minute))
	defer srv.Close()
	show := func() {
		res, err := http.Get(srv.URL)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		var doc struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
			panic(err)
		}
		kids := make([]string, 0, len(doc.Keys))
		for _, k := range doc.Keys {
			kids = append(kids, k.Kid)
		}
		fmt.Println(res.Status, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), kids, "signing:", ring.Active().ID())
	}

	show()
	next := named("2025-02")
	if err := ring.Publish(next); err != nil {
		panic(err)
	}
	show()
	if err := ring.Rotate(next); err != nil {
		panic(err)
	}
	show()
	now = now.Add(25 * time.Hour)
	show()
	// Output:
	// 200 OK application/jwk-set+json public, max-age=60 [2025-01] signing: 2025-01
	// 200 OK application/jwk-set+json public, max-age=60 [2025-01 2025-02] signing: 2025-01
	// 200 OK application/jwk-set+json public, max-age=60 [2025-02 2025-01] signing: 2025-02
	// 200 OK application/jwk-set+json public, max-age=60 [2025-02] signing: 2025-02
}
