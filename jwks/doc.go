// Package jwks holds the keys that sign and verify tokens: keys bound to one
// algorithm, key files, an issuer's rotating [Keyring], a [Handler] serving
// its public JWK Set, and a [Cache] of remote JWK Sets for verifiers ([New]).
//
// Every [Key] is bound to exactly one algorithm and has passed the strength
// checks of [NewKey] (RSA of 2048 bits or more, HMAC secrets as long as their
// hash, EC curves that match the alg). HMAC secrets are never published.
// [Key.Verify] checks a signature with the key's algorithm, never one the
// token names.
//
// # Example
//
// An issuer generates a key, serves its public half and rotates to a new one
// that was published first:
//
//	first, _ := jwks.Generate(jwks.ES256)
//	ring, _ := jwks.NewKeyring(jwks.KeyringConfig{Active: first})
//	http.Handle("GET /.well-known/jwks.json", jwks.Handler(ring, 0))
//
//	next, _ := jwks.Generate(jwks.ES256)
//	_ = ring.Publish(next) // verifiers fetch it before it signs
//	// ... after the verifiers' refresh interval:
//	_ = ring.Rotate(next) // first keeps verifying for RetireAfter
//
// The ring is also the Keys of a token.Issuer, which signs with the active
// key, and of a token.Verifier for the issuer's own tokens. A verifier in
// another service fetches the set instead:
//
//	keys, err := jwks.NewCache(ctx, jwks.CacheConfig{URLs: []string{"https://scheduler.internal/.well-known/jwks.json"}})
//	defer keys.Close()
//	v, err := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "scheduler", Audience: []string{"execution-api"}})
package jwks
