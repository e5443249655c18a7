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

// rejection is a token that verify refused: reason is the stable code of
// the rule it broke (token.Reason), or "class" for a valid token of another
// class than -class names.
type rejection struct {
	reason string
	err    error
}

func (r *rejection) Error() string { return "token rejected (" + r.reason + "): " + r.err.Error() }

// Unwrap matches errRejected and the verifier's sentinel.
func (r *rejection) Unwrap() []error { return []error{errRejected, r.err} }

// reject classifies a verification error by the token package's reason
// codes.
func reject(err error) error {
	code := token.Reason(err)
	switch {
	case errors.Is(err, errClass):
		code = "class"
	case code == "":
		code = "invalid"
	}
	return &rejection{reason: code, err: err}
}
