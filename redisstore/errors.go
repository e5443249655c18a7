package redisstore

import "errors"

// Errors of this package, matched with errors.Is. Errors reaching Redis match
// revoke.ErrUnavailable, and invalid entries revoke.ErrInvalidEntry.
var (
	// ErrMalformed: a key holds data this package did not write. It is
	// wrapped with revoke.ErrUnavailable: a List fails closed until an
	// operator removes the data.
	ErrMalformed = errors.New("redisstore: malformed revocation data")
	// ErrConfig: an invalid [Config].
	ErrConfig = errors.New("redisstore: invalid configuration")
)
