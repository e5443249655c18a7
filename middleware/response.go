package middleware

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// WriteError writes the response for a rejection: the status, a JSON body
// {"detail": "<fixed text>"}, Content-Type application/json, Cache-Control
// no-store and, as RFC 6750 §3 asks, a WWW-Authenticate challenge for 400,
// 401 and 403, or Retry-After for 503. Nothing of the token or the request is
// echoed: every header value and the body are fixed text, apart from the
// realm and an insufficient_scope scope list, which are checked against the
// allowed characters first.
//
// err is normally an [*Error] (anywhere in its chain). Any other error is
// classified by its sentinel: [ErrNoCredentials] and [ErrNoClaims] → 401 bare
// challenge, [ErrInvalidRequest] → 400, [ErrInsufficientScope],
// [ErrSubjectMismatch] and [ErrBindingMismatch] → 403, token.ErrUnavailable
// → 503, any other token.ErrInvalid → 401 invalid_token, and anything else →
// 500: an error nobody classified is a server bug, not a bad token. An *Error whose
// Status and Code do not form one of the responses above is also a 500.
//
// realm is the challenge's realm; if it is empty or has characters outside
// RFC 6750's set (printable ASCII except '"' and '\'), [DefaultRealm] is used.
func WriteError(w http.ResponseWriter, err error, realm string) {
	if !validRealm(realm) {
		realm = DefaultRealm
	}
	var e *Error
	if !errors.As(err, &e) {
		e = classify(err)
	}
	write(w, e, realm)
}

// classify maps an error that is not an *Error to its rejection.
func classify(err error) *Error {
	switch {
	case errors.Is(err, ErrNoCredentials), errors.Is(err, ErrNoClaims):
		return &Error{Status: http.StatusUnauthorized, Err: err}
	case errors.Is(err, ErrInvalidRequest):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Err: err}
	case errors.Is(err, ErrInsufficientScope), errors.Is(err, ErrSubjectMismatch), errors.Is(err, ErrBindingMismatch):
		return &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Err: err}
	case errors.Is(err, token.ErrUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Err: err}
	case errors.Is(err, token.ErrInvalid):
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Err: err}
}

// Response bodies, one fixed text per case.
var (
	bodyNoCredentials = []byte(`{"detail":"Not authenticated"}`)
	bodyInvalidReq    = []byte(`{"detail":"Malformed credentials"}`)
	bodyInvalidToken  = []byte(`{"detail":"Invalid token"}`)
	bodyScope         = []byte(`{"detail":"Insufficient scope"}`)
	bodySubject       = []byte(`{"detail":"Token is not valid for this resource"}`)
	bodyUnavailable   = []byte(`{"detail":"Authentication temporarily unavailable"}`)
	bodyInternal      = []byte(`{"detail":"Internal server error"}`)
)

// write renders e; realm has been checked.
func write(w http.ResponseWriter, e *Error, realm string) {
	h := w.Header()
	challenge := `Bearer realm="` + realm + `"`
	var body []byte
	status := e.Status
	switch {
	case status == http.StatusUnauthorized && e.Code == "":
		body = bodyNoCredentials
	case status == http.StatusBadRequest && e.Code == CodeInvalidRequest:
		body, challenge = bodyInvalidReq, challenge+`, error="invalid_request"`
	case status == http.StatusUnauthorized && e.Code == CodeInvalidToken:
		body, challenge = bodyInvalidToken, challenge+`, error="invalid_token"`
	case status == http.StatusForbidden && e.Code == CodeInsufficientScope:
		body, challenge = bodyScope, challenge+`, error="insufficient_scope"`
		if errors.Is(e.Err, ErrSubjectMismatch) || errors.Is(e.Err, ErrBindingMismatch) {
			body = bodySubject
		}
		// scope-tokens separated by single spaces (RFC 6750 §3, RFC 6749 §3.3)
		if _, err := scope.Parse(e.Scope); err == nil {
			challenge += `, scope="` + e.Scope + `"`
		}
	case status == http.StatusServiceUnavailable && e.Code == "":
		body, challenge = bodyUnavailable, ""
		h.Set("Retry-After", retryAfter(e.RetryAfter))
	default:
		status, body, challenge = http.StatusInternalServerError, bodyInternal, ""
	}
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// retryAfter renders d in whole seconds, rounded up, at least 1.
func retryAfter(d time.Duration) string {
	if d <= 0 {
		d = DefaultRetryAfter
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// validRealm reports whether s can sit inside the quoted realm attribute
// without escaping: non-empty, %x20-21 / %x23-5B / %x5D-7E (RFC 6750 §3).
func validRealm(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(c rune) bool {
		return c < 0x20 || c > 0x7e || c == '"' || c == '\\'
	})
}
