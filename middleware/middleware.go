package middleware

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/execauth/execauth/internal/ctxkey"
	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// Defaults for [Config].
const (
	DefaultRealm      = "execution-api"
	DefaultRetryAfter = 5 * time.Second
)

// Config configures [Authenticate]. Authenticate copies it; later changes
// have no effect.
type Config struct {
	// Verifier checks every token. Required.
	Verifier *token.Verifier
	// Classes lists the token classes the route or group accepts; each must
	// be a class of the Verifier's token.Classes. If empty, the classes
	// described as AcceptedByDefault: execution only, unless the host
	// registered more. The run route lists workload and execution, a
	// connections route execution and processor.
	Classes []scope.Scope
	// Realm is the realm of the WWW-Authenticate challenge. If empty,
	// DefaultRealm ("execution-api"). It must be printable ASCII without '"'
	// and '\'.
	Realm string
	// ErrorHandler answers a rejection; err is an [*Error]. It may log, then
	// call [WriteError]. If nil, WriteError writes the RFC 6750 response.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Logger receives one record per rejection: 401 without credentials at
	// Debug, other 400/401/403 at Info, 503 at Warn, 500 at Error, with the
	// status, the cause's fixed text and the route pattern only. If nil,
	// slog.Default() is used.
	Logger *slog.Logger
	// Extract returns the request's token, for hosts that opt into another
	// place than the Authorization header (a query parameter, a cookie); it
	// may fall back to [FromHeader]. ("", nil) or an error matching
	// [ErrNoCredentials] means no credentials (401); any other error is a
	// malformed request (400). If nil, FromHeader is used: the Authorization
	// header only.
	Extract func(r *http.Request) (string, error)
	// RetryAfter is the Retry-After of a 503 when verification keys are
	// unavailable, rounded up to whole seconds. If zero, DefaultRetryAfter
	// (5s): long enough not to hammer a recovering key source, short enough
	// for a task to carry on soon. Negative panics.
	RetryAfter time.Duration
	// Hooks receives every decision as an observe.Auth event: route
	// pattern, token class, status, reason code, cache hit and how long
	// verification took. If nil, nothing is reported and verification is not
	// timed.
	Hooks *observe.Hooks
}

// Authenticate returns middleware that admits a request only with a valid
// bearer token of an accepted class, and puts its claims in the request
// context (read them with token.FromContext). Every rejection is answered by
// [Config.ErrorHandler] or [WriteError] and the next handler is not called.
// Checks run in this order: credentials (400, 401), verification (401, or 503
// when keys are unavailable), then the token class (403).
//
// A panic in [Config.Extract], in the Verifier's key lookup or in
// [Config.ErrorHandler] is answered with a 500 and logged without its value;
// a panic in the next handler is left to net/http.
//
// It panics with a "middleware:" message on a programmer error: a nil
// Verifier, a class that is not a token class, an invalid realm or a
// negative RetryAfter. The middleware is safe for concurrent use.
func Authenticate(cfg Config) func(http.Handler) http.Handler {
	g := newGuard(cfg)
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: Authenticate: nil next handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m measure
			c, rej := g.authenticate(r, &m)
			g.report(r, rej, &m)
			if rej != nil {
				g.reject(w, r, rej)
				return
			}
			next.ServeHTTP(w, r.WithContext(&authContext{Context: r.Context(), claims: c, guard: g}))
		})
	}
}

// guard is a validated Config, shared by the route requirements through the
// request context. It is immutable.
type guard struct {
	verifier    *token.Verifier
	classes     scope.Set
	classAttr   string // classes, space separated: the scope attribute of a 403
	realm       string
	onError     func(http.ResponseWriter, *http.Request, error)
	logger      *slog.Logger
	extract     func(*http.Request) (string, error)
	retryAfter  time.Duration
	hooks       *observe.Hooks // nil unless Hooks.OnAuth is set
	deferSyntax bool           // extract is bearerField: the b64token check is deferred (see authenticate)
}

type guardKey struct{}

// authContext carries an admitted request's claims (for token.FromContext)
// and its guard (for the route requirements) in one allocation, where two
// context.WithValue calls would make two: it keeps a cached request at two
// allocations (benchmark row Middleware/HS256/execauth+cache).
type authContext struct {
	context.Context
	claims *token.Claims
	guard  *guard
}

func (c *authContext) Value(key any) any {
	switch key.(type) {
	case ctxkey.Claims:
		return c.claims
	case guardKey:
		return c.guard
	}
	return c.Context.Value(key)
}

// guardFrom returns the guard of the enclosing Authenticate or, for a route
// requirement that runs without one, the defaults, logging to slog.Default()
// as a nil Config.Logger does.
func guardFrom(r *http.Request) *guard {
	if g, ok := r.Context().Value(guardKey{}).(*guard); ok {
		return g
	}
	return &guard{realm: DefaultRealm, retryAfter: DefaultRetryAfter, logger: slog.Default()}
}

func newGuard(cfg Config) *guard {
	if cfg.Verifier == nil {
		panic("middleware: Config.Verifier is nil")
	}
	if cfg.RetryAfter < 0 {
		panic("middleware: Config.RetryAfter is negative")
	}
	g := &guard{
		verifier: cfg.Verifier, realm: cmp.Or(cfg.Realm, DefaultRealm), onError: cfg.ErrorHandler,
		logger: cmp.Or(cfg.Logger, slog.Default()), extract: cfg.Extract,
		retryAfter: cmp.Or(cfg.RetryAfter, DefaultRetryAfter),
	}
	if cfg.Hooks != nil && cfg.Hooks.OnAuth != nil {
		g.hooks = cfg.Hooks
	}
	if !validRealm(g.realm) {
		panic("middleware: Config.Realm has characters outside printable ASCII or '\"' or '\\'")
	}
	if g.extract == nil {
		g.extract, g.deferSyntax = bearerField, true
	}
	known := cfg.Verifier.Classes()
	classes := cfg.Classes
	if len(classes) == 0 {
		classes = known.AcceptedByDefault()
	}
	for _, c := range classes {
		if _, ok := known.Lookup(c); !ok {
			panic(fmt.Sprintf("middleware: Config.Classes: %q is not a token class of the Verifier", c))
		}
		if !g.classes.Has(c) {
			g.classes = append(g.classes, c)
		}
	}
	g.classAttr = g.classes.String()
	return g
}

// authenticate extracts and verifies the token and checks its class. A panic
// in the host's code it calls (Extract, the key lookup) becomes a 500.
func (g *guard) authenticate(r *http.Request, m *measure) (c *token.Claims, rej *Error) {
	stage := "extract"
	defer func() {
		if v := recover(); v != nil {
			g.panicked(r, stage, v)
			c, rej = nil, &Error{Status: http.StatusInternalServerError, Err: ErrInternal}
		}
	}()
	raw, err := g.extract(r)
	switch {
	case errors.Is(err, ErrNoCredentials) || (err == nil && raw == ""):
		return nil, &Error{Status: http.StatusUnauthorized, Err: ErrNoCredentials}
	case errors.Is(err, ErrInvalidRequest):
		return nil, &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Err: err}
	case err != nil:
		return nil, &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Err: fmt.Errorf("%w: %w", ErrInvalidRequest, err)}
	}
	stage = "verify"
	c, err = g.verify(r.Context(), raw, m)
	// A token that verified has only base64url characters and dots, so it
	// is a b64token: the check FromHeader makes is needed only to answer a
	// token with other characters 400 rather than 401. Such a token never
	// gets past the verifier's framing checks (no key lookup), so running
	// the check afterwards changes no outcome and saves a pass over every
	// admitted token.
	if err != nil && g.deferSyntax && !isB64Token(raw) {
		return nil, &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Err: errNotB64Token}
	}
	switch {
	case errors.Is(err, token.ErrUnavailable):
		return nil, &Error{Status: http.StatusServiceUnavailable, RetryAfter: g.retryAfter, Err: err}
	case err != nil:
		return nil, &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Err: err}
	case !g.classes.Has(c.Class()):
		return nil, &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Scope: g.classAttr, Err: ErrInsufficientScope}
	}
	return c, nil
}

// reject logs e and answers it through the ErrorHandler or WriteError. A
// panic in the ErrorHandler becomes a 500 unless it had begun a response.
func (g *guard) reject(w http.ResponseWriter, r *http.Request, e *Error) {
	g.log(r, e)
	if g.onError == nil {
		write(w, e, g.realm)
		return
	}
	tw := &trackingWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			g.panicked(r, "error handler", v)
			if !tw.started {
				write(w, &Error{Status: http.StatusInternalServerError, Err: ErrInternal}, g.realm)
			}
		}
	}()
	g.onError(tw, r, e)
}

func (g *guard) log(r *http.Request, e *Error) {
	level := slog.LevelInfo
	switch {
	case e.Status == http.StatusUnauthorized && e.Code == "":
		level = slog.LevelDebug
	case e.Status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case e.Status >= http.StatusInternalServerError:
		level = slog.LevelError
	}
	code, text := cause(e.Err)
	g.logger.LogAttrs(r.Context(), level, "request rejected", g.attrs(r,
		slog.Int("status", e.Status), slog.String("reason", code), slog.String("cause", text))...)
}

// panicked logs a recovered panic by stage and type only: its value may hold
// the token or a kid. http.ErrAbortHandler is passed on, as net/http expects.
func (g *guard) panicked(r *http.Request, stage string, v any) {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	g.logger.LogAttrs(r.Context(), slog.LevelError, "panic in authentication", g.attrs(r,
		slog.String("stage", stage), slog.String("panic_type", fmt.Sprintf("%T", v)))...)
}

// attrs adds the route pattern (fixed text set by the host, unlike the path,
// which may name the token's subject).
func (g *guard) attrs(r *http.Request, a ...slog.Attr) []slog.Attr {
	if r.Pattern != "" {
		a = append(a, slog.String("route", r.Pattern))
	}
	return a
}

// trackingWriter records whether a response has begun, so that a panicking
// ErrorHandler is not followed by a second response.
type trackingWriter struct {
	http.ResponseWriter
	started bool
}

func (t *trackingWriter) WriteHeader(status int) {
	t.started = true
	t.ResponseWriter.WriteHeader(status)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.started = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
