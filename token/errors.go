package token

import "errors"

// ErrInvalid is matched by every verification error of [Verifier.Verify]:
// errors.Is(err, token.ErrInvalid) tells a refused token from any other
// failure. The sentinels below say why; [Reason] gives each a stable code.
var ErrInvalid = errors.New("token: invalid")

// ErrUnavailable is matched by the verification errors that mean the
// verifier could not decide, not that the token is bad: the keys (or another
// shared state the verifier needs) cannot be obtained now. Servers answer
// 503 with Retry-After, not 401.
var ErrUnavailable = errors.New("token: verification unavailable")

// Errors returned by [Verifier.Verify], matched with errors.Is. Each also
// matches [ErrInvalid]. Detail follows the sentinel in the message; it never
// contains token content.
var (
	// ErrMalformed: framing, encoding or JSON that breaks a rule (size, three
	// segments, charset, strict base64url, UTF-8, duplicate or case-variant
	// member names, wrong JSON types, a time claim that is not an integer
	// from 1970 to 9999).
	ErrMalformed = newReason("token: malformed", "malformed")
	// ErrUnsupported: a header this library does not process (crit, zip, cty,
	// b64, an unknown typ).
	ErrUnsupported = newReason("token: unsupported header", "unsupported")
	// ErrAlgorithm: alg not in the allow-list, or not the alg its key is bound to.
	ErrAlgorithm = newReason("token: algorithm not allowed", "algorithm")
	// ErrUnknownKey: no key for the token's kid, or no kid where one is required.
	ErrUnknownKey = newReason("token: unknown key", "unknown_key")
	// ErrKeysUnavailable: verification keys cannot be obtained (never loaded or
	// too stale). It also matches [ErrUnavailable].
	ErrKeysUnavailable = newUnavailable("token: keys unavailable", "keys_unavailable")
	// ErrSignature: the signature does not verify.
	ErrSignature = newReason("token: invalid signature", "signature")
	// ErrExpired: now is at or past exp plus leeway.
	ErrExpired = newReason("token: expired", "expired")
	// ErrNotYetValid: nbf or iat lies in the future beyond leeway.
	ErrNotYetValid = newReason("token: not yet valid", "not_yet_valid")
	// ErrIssuer: iss missing or not the configured issuer.
	ErrIssuer = newReason("token: wrong issuer", "issuer")
	// ErrAudience: aud missing or none of its values is configured.
	ErrAudience = newReason("token: wrong audience", "audience")
	// ErrSubject: sub missing, empty, or not a UUID where the class needs one.
	ErrSubject = newReason("token: invalid subject", "subject")
	// ErrScope: scope missing or without exactly one token class.
	ErrScope = newReason("token: invalid scope", "scope")
	// ErrLifetime: exp - iat is not positive or exceeds the class's maximum.
	ErrLifetime = newReason("token: lifetime too long", "lifetime")
	// ErrClaims: a required claim (exp, iat) is missing.
	ErrClaims = newReason("token: missing claim", "missing_claim")
	// ErrRevoked: the token's jti, or its sub as of its iat, is revoked
	// ([VerifierConfig.Revocations]).
	ErrRevoked = newReason("token: revoked", "revoked")
	// ErrRevocationUnavailable: whether the token is revoked cannot be told
	// now (the revocation list never synced or is too stale). It also
	// matches [ErrUnavailable].
	ErrRevocationUnavailable = newUnavailable("token: revocations unavailable", "revocation_unavailable")
)

// Errors from constructors and minting; they are not verification errors.
var (
	// ErrConfig: an IssuerConfig or VerifierConfig that cannot work.
	ErrConfig = errors.New("token: invalid configuration")
	// ErrNotMinted: a token could not be minted.
	ErrNotMinted = errors.New("token: cannot mint")
	// ErrNarrowing: a narrowing exchange ([Issuer.Narrow]) refused a grant
	// wider or longer-lived than its source, or a source that may not be
	// narrowed. It comes wrapped with [ErrNotMinted].
	ErrNarrowing = errors.New("token: not a narrowing")
)

// reasons is the one table of verification errors, in the order the checks
// run. Everything that maps an error to a status, a log line, a metric label
// or an exit status derives from it.
var reasons = [...]*reasonError{
	ErrKeysUnavailable, ErrMalformed, ErrUnsupported, ErrAlgorithm, ErrUnknownKey,
	ErrSignature, ErrExpired, ErrNotYetValid, ErrIssuer, ErrAudience, ErrSubject,
	ErrScope, ErrLifetime, ErrClaims, ErrRevocationUnavailable, ErrRevoked,
}

// reasonError is a verification sentinel: fixed text and a stable code.
type reasonError struct {
	text, code  string
	unavailable bool
}

func newReason(text, code string) *reasonError { return &reasonError{text: text, code: code} }

func newUnavailable(text, code string) *reasonError {
	return &reasonError{text: text, code: code, unavailable: true}
}

func (e *reasonError) Error() string { return e.text }

// Is makes every sentinel match ErrInvalid, and the unavailable ones
// ErrUnavailable.
func (e *reasonError) Is(target error) bool {
	return target == ErrInvalid || e.unavailable && target == ErrUnavailable
}

// Reasons returns the stable code of every verification error, in the order
// the checks run: every value [Reason] returns for a verification error. A
// metrics exporter can create its series up front from it.
func Reasons() []string {
	out := make([]string, len(reasons))
	for i, s := range reasons {
		out[i] = s.code
	}
	return out
}

// Reason returns the stable code of the first verification sentinel err
// matches — "expired", "signature", "unknown_key", "keys_unavailable", … (the
// README lists them) — or "" when err is not a verification error. Codes
// are fixed, short and free of token content: safe as a metric label.
func Reason(err error) string { return sentinel(err).code }

// Text returns the fixed text of the first verification sentinel err
// matches, without the detail that may follow it, or "" when err is not a
// verification error. It is safe to log.
func Text(err error) string { return sentinel(err).text }

// sentinel returns the first verification sentinel err matches, or a zero
// reasonError (no text, no code).
func sentinel(err error) reasonError {
	for _, s := range reasons {
		if errors.Is(err, s) {
			return *s
		}
	}
	return reasonError{}
}
