package benchmarks

import "errors"

// Reasons a contender rejects a token, beyond the libraries' own errors.
var (
	errSignature = errors.New("benchmarks: signature mismatch")
	errClass     = errors.New("benchmarks: not an execution token")
	errSubject   = errors.New("benchmarks: sub is not a task id")
	errLifetime  = errors.New("benchmarks: exp - iat out of range")
	errStatus    = errors.New("benchmarks: request not admitted")
)
