// Package jwks holds the keys that sign and verify tokens: keys bound to one
// algorithm, key files, an issuer's rotating [Keyring], a key directory
// shared by replicas ([Dir]), a [Handler] serving the public JWK Set, a
// [Cache] of remote JWK Sets for verifiers ([NewCache]), and a [Union] of
// key sources.
//
// Every [Key] is bound to exactly one algorithm and has passed the strength
// checks of [NewKey] (RSA of 2048 bits or more, HMAC secrets as long as their
// hash, EC curves that match the alg). HMAC secrets are never published.
// [Key.Verify] checks a signature with the key's algorithm, never one the
// token names. A private key may be any crypto.Signer ([NewSigningKey]): a
// key held in a KMS or an HSM signs through it and never leaves it.
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
//
// A server that verifies its own tokens and another component's joins both:
// token.VerifierConfig{Keys: jwks.NewUnion(ring, keys), ...}.
//
// # Key directory
//
// Replicas share their keys through a directory ([Dir], [OpenDir]) that
// holds one file per key, as [WriteSigningKey] writes it (PKCS #8 PEM, or
// an HMAC secret as base64url text), and a manifest named keys.json:
//
//	{
//	  "version": 1,
//	  "keys": [
//	    {"kid": "Xq3…", "alg": "EdDSA", "file": "Xq3….pem", "state": "retiring",
//	     "since": "2025-06-01T12:00:00Z", "retires_at": "2025-06-02T12:05:00Z"},
//	    {"kid": "b7K…", "alg": "EdDSA", "file": "b7K….pem", "state": "active",
//	     "since": "2025-06-01T12:00:00Z"},
//	    {"kid": "Qm9…", "alg": "ES256", "file": "Qm9….pem", "state": "published",
//	     "since": "2025-06-01T13:00:00Z"}
//	  ]
//	}
//
// The members, all required unless said otherwise:
//
//   - version: 1.
//   - kid: the key id put in token headers; unique in the manifest.
//   - alg: the JWS algorithm the key is bound to.
//   - file: the key file's name in the directory: letters, digits, '.',
//     '_' and '-', not starting with a dot. [Dir] names it after the kid,
//     with ".pem" (or ".key" for an HMAC secret).
//   - state: "active" (signs and verifies; exactly one key), "published"
//     (verifies, does not sign yet) or "retiring" (verifies until
//     retires_at).
//   - since: when the key entered its state, RFC 3339.
//   - retires_at: for a retiring key only, when it stops verifying, RFC 3339.
//
// Unknown members, another version, a kid or file listed twice, or a state
// without its times make the whole manifest invalid. The manifest and key
// files must be regular files (symbolic links to them are followed, as
// Kubernetes mounts them), at most readable by the group and writable only
// by the owner (0600, 0400 or 0440); files the manifest does not name are
// ignored. [Dir] documents the guarantees of each step of a rotation.
package jwks
