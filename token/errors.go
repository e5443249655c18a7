package token

import "errors"

// Errors returned by [Verifier.Verify], matched with errors.Is. Detail follows
// the sentinel in the message; it never contains token content.
var (
	// ErrMalformed: framing, encoding or JSON that breaks a rule (size, three
	// segments, charset, strict base64url, UTF-8, duplicate or case-variant
	// member names, wrong JSON types).
	ErrMalformed = errors.New("token: malformed")
	// ErrUnsupported: a header this library does not process (crit, zip, cty,
	// b64, an unknown typ).
	ErrUnsupported = errors.New("token: unsupported header")
	// ErrAlgorithm: alg not in the allow-list, or not the alg its key is bound to.
	ErrAlgorithm = errors.New("token: algorithm not allowed")
	// ErrUnknownKey: no key for the token's kid, or no kid where one is required.
	ErrUnknownKey = errors.New("token: unknown key")
	// ErrKeysUnavailable: verification keys cannot be obtained (never loaded or
	// too stale). Servers answer 503, not 401.
	ErrKeysUnavailable = errors.New("token: keys unavailable")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("token: invalid signature")
	// ErrExpired: now is at or past exp plus leeway.
	ErrExpired = errors.New("token: expired")
	// ErrNotYetValid: nbf or iat lies in the future beyond leeway.
	ErrNotYetValid = errors.New("token: not yet valid")
	// ErrIssuer: iss missing or not the configured issuer.
	ErrIssuer = errors.New("token: wrong issuer")
	// ErrAudience: aud missing or none of its values is configured.
	ErrAudience = errors.New("token: wrong audience")
	// ErrSubject: sub missing, empty, or not a UUID where the class needs one.
	ErrSubject = errors.New("token: invalid subject")
	// ErrScope: scope missing or without exactly one token class.
	ErrScope = errors.New("token: invalid scope")
	// ErrLifetime: exp - iat is not positive or exceeds the class's maximum.
	ErrLifetime = errors.New("token: lifetime too long")
	// ErrClaims: a required claim (exp, iat) is missing.
	ErrClaims = errors.New("token: missing claim")
)
