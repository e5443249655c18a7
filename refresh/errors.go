package refresh

import "errors"

// Errors from this package, matched with errors.Is. Detail follows the
// sentinel in the message; it never contains token content.
var (
	// ErrConfig: a ReissuerConfig, TransportConfig or FileSourceConfig that cannot work.
	ErrConfig = errors.New("refresh: invalid configuration")
	// ErrNoClaims: [Reissuer.Exchange] found no verified claims in the request
	// context (authentication did not run).
	ErrNoClaims = errors.New("refresh: no verified claims")
	// ErrNotExchangeable: the request's token may not start an execution chain
	// (not a workload token, another issuer, a key the issuer does not hold,
	// or at or past exp).
	ErrNotExchangeable = errors.New("refresh: token cannot be exchanged")
	// ErrUnavailable: [Reissuer.Exchange] could not read or write the
	// first-exchange record (the shared store is unreachable). Servers answer
	// 503 with Retry-After.
	ErrUnavailable = errors.New("refresh: exchange record unavailable")
	// ErrMalformed: a token that cannot be sent as a bearer token (empty,
	// whitespace or control characters inside) or, for [WriteTokenFile], is
	// not a compact JWS.
	ErrMalformed = errors.New("refresh: malformed token")
	// ErrTokenFile: a token file that is empty, does not hold a token, or is
	// not a regular file (a FIFO, a device, a directory).
	ErrTokenFile = errors.New("refresh: no usable token in file")
	// ErrHeaderWritten: [Reissuer.Exchange] was called after the response
	// header was sent, so the token could not go out. Exchange before writing.
	ErrHeaderWritten = errors.New("refresh: response header already written")
)
