// Package token mints and verifies the tokens of an execution API: workload,
// execution and processor tokens, told apart by their scope claim.
//
// A token class is described by data, a [Class]: whether its sub is a task
// id, its lifetimes, whether routes admit it by default, whether it starts a
// chain at a run-like route ([Issuer.Exchange]), is reissued near expiry
// ([Issuer.Reissue]) or may be narrowed ([Issuer.Narrow]). The three
// built-in classes are such descriptions ([BuiltinClasses]); a host adds its
// own with [NewClasses] and gives the same [Classes] to its Issuer and
// Verifier. A narrowing exchange trades a token for one of another class that
// is never wider (audience, permission scopes) and never outlives it.
//
// An [Issuer] mints tokens with a key from package jwks. A [Verifier] checks
// them with every rule on and no way to turn one off: size and framing before
// any decoding, strict base64url and JSON (no duplicate or case-variant member
// names), an algorithm allow-list without "none", keys bound to one algorithm,
// the signature, then iss, aud, exp, nbf, iat, lifetime, sub and scope. Errors
// match the package's sentinels with errors.Is, and the claims of a rejected
// token are never returned. [Raw] tokens redact themselves in fmt and slog.
//
// # Example
//
//	iss, _ := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: "scheduler", Audience: []string{"execution-api"}})
//	raw, _ := iss.Workload(taskID)
//
//	v, _ := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "scheduler", Audience: []string{"execution-api"}})
//	claims, err := v.Verify(ctx, string(raw))
//	if errors.Is(err, token.ErrExpired) { ... }
package token
