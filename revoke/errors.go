package revoke

import "errors"

// Errors returned by the package, matched with errors.Is. Detail follows the
// sentinel in the message; it never contains a jti or a subject.
var (
	// ErrUnavailable: the answer cannot be trusted. A [List] was never synced
	// with its store or is staler than MaxStale (and any InsecureFailOpenFor),
	// or a store could not be reached. Callers fail closed: servers answer
	// 503 with Retry-After, never 401 and never admit.
	ErrUnavailable = errors.New("revoke: revocations unavailable")
	// ErrInvalidEntry: an [Entry] or a first-exchange record that breaks its
	// rules (no or both of JTI and Subject, a zero time, Until not after the
	// cutoff).
	ErrInvalidEntry = errors.New("revoke: invalid entry")
	// ErrConfig: an invalid [Config].
	ErrConfig = errors.New("revoke: invalid configuration")
)
