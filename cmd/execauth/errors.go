package main

import (
	"errors"
	"fmt"

	"github.com/execauth/execauth/token"
)

var (
	// errUsage: a bad command line (unknown subcommand or flag, a missing or
	// invalid flag value). Exit status 2.
	errUsage = errors.New("usage")
	// errRejected: verify refused the token. Exit status 1.
	errRejected = errors.New("token rejected")
	// errClass: the token is valid but not of the class verify -class names.
	errClass = errors.New("token of another class")
	// errDemo: a demo step did not behave as designed.
	errDemo = errors.New("demo failed")
)

// usagef returns an error with exit status 2.
func usagef(format string, args ...any) error {
	return &wrapped{kind: errUsage, msg: fmt.Sprintf(format, args...)}
}

// wrapped is an error of kind with its own message; errors.Is matches kind.
type wrapped struct {
	kind error
	msg  string
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.kind }

// rejection is a token that verify refused: class names the rule it broke.
type rejection struct {
	class string
	err   error
}

func (r *rejection) Error() string { return "token rejected (" + r.class + "): " + r.err.Error() }

// Unwrap matches errRejected and the verifier's sentinel.
func (r *rejection) Unwrap() []error { return []error{errRejected, r.err} }

// rejectionClasses names each verification failure, in the order checked.
var rejectionClasses = [...]struct {
	err  error
	name string
}{
	{token.ErrKeysUnavailable, "keys_unavailable"},
	{token.ErrMalformed, "malformed"},
	{token.ErrUnsupported, "unsupported"},
	{token.ErrAlgorithm, "algorithm"},
	{token.ErrUnknownKey, "unknown_key"},
	{token.ErrSignature, "signature"},
	{token.ErrExpired, "expired"},
	{token.ErrNotYetValid, "not_yet_valid"},
	{token.ErrIssuer, "issuer"},
	{token.ErrAudience, "audience"},
	{token.ErrSubject, "subject"},
	{token.ErrScope, "scope"},
	{token.ErrLifetime, "lifetime"},
	{token.ErrClaims, "claims"},
	{errClass, "class"},
}

// reject classifies a verification error.
func reject(err error) error {
	for _, c := range rejectionClasses {
		if errors.Is(err, c.err) {
			return &rejection{class: c.name, err: err}
		}
	}
	return &rejection{class: "invalid", err: err}
}
