package middleware

import (
	"errors"
	"strconv"
	"time"

	"github.com/execauth/execauth/token"
)

// Causes carried in [Error.Err], matched with errors.Is. A token that fails
// verification carries the token package's error instead, so that
// errors.Is(err, token.ErrExpired) holds.
var (
	// ErrNoCredentials: no Authorization header, or one with another scheme
	// (Basic, Digest, ...). Answered 401 with a bare challenge.
	ErrNoCredentials = errors.New("middleware: no bearer credentials")
	// ErrInvalidRequest: credentials that break RFC 6750 §2.1 (two
	// Authorization fields, no token, tabs, extra parts, characters outside
	// b64token), or an error from [Config.Extract]. Answered 400.
	ErrInvalidRequest = errors.New("middleware: malformed bearer credentials")
	// ErrInsufficientScope: a valid token whose class the route does not
	// accept, or that lacks a permission scope the route requires. Answered 403.
	ErrInsufficientScope = errors.New("middleware: insufficient scope")
	// ErrSubjectMismatch: a valid token issued for another subject than the
	// one the request path names. Answered 403.
	ErrSubjectMismatch = errors.New("middleware: subject does not match the path")
	// ErrBindingMismatch: a valid token bound to a resource (a host claim
	// such as a parse token's bundle) that is not the one the request path
	// names. Answered 403.
	ErrBindingMismatch = errors.New("middleware: token is bound to another resource")
	// ErrNoClaims: a route requirement ran without verified claims in the
	// request context (no Authenticate around it). Answered 401.
	ErrNoClaims = errors.New("middleware: no verified claims")
	// ErrInternal: a panic in a key lookup or a hook. Answered 500.
	ErrInternal = errors.New("middleware: internal error")
)

// RFC 6750 §3.1 error codes, the values of [Error.Code].
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
)

// Error is a rejection: what [Authenticate], [RequireScopes] and
// [RequireSubject] hand to [Config.ErrorHandler] and what [WriteError]
// renders. Read it with errors.As.
//
// Its message names the status, code and cause by fixed text only, so it is
// safe to log. The message of Err itself may carry detail (a remote key set
// may name the kid it did not find); log Error(), not Err.
//
// An Error is a plain value; the middleware builds a new one per rejection.
type Error struct {
	// Status is the HTTP status: 400, 401, 403, 500 or 503.
	Status int
	// Code is the RFC 6750 error code: one of the Code constants, or "" when
	// no credentials were presented and for 500 and 503.
	Code string
	// Scope is the scope attribute of a 403 insufficient_scope: the classes or
	// permission scopes the route needs, space separated. Empty when there is
	// none to name (a subject or binding mismatch).
	Scope string
	// RetryAfter is the Retry-After of a 503. If zero, [DefaultRetryAfter].
	RetryAfter time.Duration
	// Err is the cause: a sentinel of this package, or an error matching a
	// sentinel of package token.
	Err error
}

// Error returns the fixed text of the cause, status and code, e.g.
// "token: expired (HTTP 401 invalid_token)".
func (e *Error) Error() string {
	_, text := cause(e.Err)
	s := text + " (HTTP " + strconv.Itoa(e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	return s + ")"
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Reason returns the stable reason code of the rejection: the token
// package's code for a token that failed verification ([token.Reason]), or
// one of this package's: "no_credentials", "invalid_request",
// "insufficient_scope", "subject_mismatch", "binding_mismatch", "no_claims",
// "internal". The codes are fixed and carry no token content: safe as a
// metric label.
func (e *Error) Reason() string {
	code, _ := cause(e.Err)
	return code
}

// causes is this package's table of rejection causes: each sentinel's
// reason code. Together with the token package's table it classifies every
// rejection.
var causes = [...]struct {
	err  error
	code string
}{
	{ErrNoCredentials, "no_credentials"},
	{ErrInvalidRequest, "invalid_request"},
	{ErrInsufficientScope, "insufficient_scope"},
	{ErrSubjectMismatch, "subject_mismatch"},
	{ErrBindingMismatch, "binding_mismatch"},
	{ErrNoClaims, "no_claims"},
	{ErrInternal, "internal"},
}

// Reasons returns every code [Error.Reason] can return: this package's
// (listed at [Error.Reason]) followed by the token package's ([token.Reasons]). A
// metrics exporter can create its series up front from it.
func Reasons() []string {
	out := make([]string, 0, len(causes)+len(token.Reasons()))
	for _, c := range causes {
		out = append(out, c.code)
	}
	return append(out, token.Reasons()...)
}

// cause returns the reason code and fixed text of the first sentinel err
// matches; the detail after a sentinel may come from a key set or a hook, so
// it is dropped. An error no table knows is a server bug, not a bad token:
// "internal".
func cause(err error) (code, text string) {
	for _, c := range causes {
		if errors.Is(err, c.err) {
			return c.code, c.err.Error()
		}
	}
	if code := token.Reason(err); code != "" {
		return code, token.Text(err)
	}
	return "internal", "middleware: unclassified error"
}
