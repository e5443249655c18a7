// Package token mints and verifies the tokens of an execution API: workload,
// execution and processor tokens, told apart by their scope claim.
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
