package refresh

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/token"
)

// Defaults for [ReissuerConfig] and [TransportConfig].
const (
	// DefaultHeader carries a new token in a response (Airflow's name).
	DefaultHeader = "Refreshed-API-Token"
	// DefaultMaxChainAge bounds how long reissue keeps a chain alive.
	DefaultMaxChainAge = 24 * time.Hour
	// MinWindow is the shortest reissue window: a token is due when
	// exp - now <= max(20% of its lifetime, MinWindow).
	MinWindow = 30 * time.Second
)

// ReissuerConfig configures a [Reissuer].
type ReissuerConfig struct {
	// Issuer mints the new tokens and decides which tokens are ours: only
	// tokens whose iss is Issuer.Issuer() and whose kid Issuer.Holds are
	// reissued or exchanged. Required.
	Issuer *token.Issuer
	// Header is the response header that carries a new token. If empty,
	// "Refreshed-API-Token" is used.
	Header string
	// MaxChainAge bounds a chain: a token whose auth_time (or, without it,
	// iat) is this old or older is not reissued. The last token of a chain may
	// outlive it by at most one execution lifetime. If zero, 24h is used.
	MaxChainAge time.Duration
	// Allow is asked before each reissue, after the handler chose a
	// non-error status. Return false to decline, e.g. the task has finished.
	// A panic in Allow declines and is logged. If nil, every eligible token
	// is reissued.
	Allow func(r *http.Request, c *token.Claims) bool
	// Exchanges records the first run exchange of each subject
	// ([Reissuer.Exchange]), shared by every replica: a revoke.Store such as
	// revoke.Memory or the Redis store of module
	// github.com/execauth/execauth/redisstore. If nil, a revoke.Memory of
	// this Reissuer is used, which is right for a single replica only.
	Exchanges Exchanges
	// Logger receives reissue failures and panics in Allow, never token
	// content. If nil, slog.Default() is used.
	Logger *slog.Logger
	// Now returns the current time. If nil, time.Now is used.
	Now func() time.Time
	// Hooks receives every decision as an observe.Reissue event: minted,
	// declined and why, or failed. If nil, nothing is reported.
	Hooks *observe.Hooks
}

// Exchanges records first run exchanges; every revoke.Store implements it.
type Exchanges interface {
	// FirstExchange records at as the first run exchange of sub unless a
	// record is held, keeps it until until, and returns the recorded time.
	FirstExchange(ctx context.Context, sub string, at, until time.Time) (first time.Time, err error)
}

// Reissuer hands out execution tokens on the server side: a fresh one near
// the end of the current one ([Reissuer.Middleware]) and the first one of a
// chain at the run endpoint ([Reissuer.Exchange]). It is safe for concurrent
// use.
type Reissuer struct {
	issuer *token.Issuer
	header string
	maxAge time.Duration
	allow  func(*http.Request, *token.Claims) bool
	first  Exchanges
	log    *slog.Logger
	now    func() time.Time
	warned atomic.Bool    // Middleware saw a request without claims
	hooks  *observe.Hooks // nil unless Hooks.OnReissue is set
}

// NewReissuer validates cfg and returns a Reissuer.
func NewReissuer(cfg ReissuerConfig) (*Reissuer, error) {
	switch {
	case cfg.Issuer == nil:
		return nil, fmt.Errorf("%w: no issuer", ErrConfig)
	case cfg.Header != "" && !validHeaderName(cfg.Header):
		return nil, fmt.Errorf("%w: invalid header name", ErrConfig)
	case cfg.MaxChainAge < 0:
		return nil, fmt.Errorf("%w: negative MaxChainAge", ErrConfig)
	}
	r := &Reissuer{
		issuer: cfg.Issuer, header: cfg.Header, maxAge: cfg.MaxChainAge,
		allow: cfg.Allow, first: cfg.Exchanges, log: cfg.Logger, now: cfg.Now,
	}
	if r.header == "" {
		r.header = DefaultHeader
	}
	if r.maxAge == 0 {
		r.maxAge = DefaultMaxChainAge
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.first == nil {
		r.first = revoke.NewMemory(r.now)
	}
	if cfg.Hooks != nil && cfg.Hooks.OnReissue != nil {
		r.hooks = cfg.Hooks
	}
	return r, nil
}

// Middleware reissues execution tokens near expiry. It must run inside
// authentication: it reads the verified claims with [token.FromContext]. A
// request without them passes through untouched, and the first one is logged
// at Error level through [ReissuerConfig.Logger] (once per Reissuer): the
// middleware is wired outside authentication and will never reissue.
//
// Whether the token is due is decided when the request is admitted (when
// the middleware sees it): a token of ours of a [token.Class.Reissued] class
// (execution) with exp - now <= max(20% of (exp - iat), 30s). The new token
// is minted when the handler sets its status and is put in the response
// header only for a status in [200, 400): an error response never carries a
// credential, so a finished task's 409 does not extend its chain. A token
// that was valid at admission is reissued even if it expires while the
// handler runs: the request was authorized, and its caller would otherwise
// be left with a dead token. Never reissued: tokens of other classes
// (workload, processor); tokens at or past exp at admission (leeway does not
// extend a chain); tokens of another issuer or signed by a key the issuer
// does not hold; chains of MaxChainAge or older at admission; tokens
// [ReissuerConfig.Allow] declines. A failed reissue is logged and the
// response goes on without the header.
//
// For a token that may start a chain (a workload token: its class has a
// [token.Class.ExchangedFor]) it records when the response header is sent, so that
// [Reissuer.Exchange] called after that fails with [ErrHeaderWritten]
// instead of losing the token: wrap the run route with it too.
func (r *Reissuer) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c, ok := token.FromContext(req.Context())
		starts := ok && r.startsChain(c)
		var why string // why c is not due; "" when it is
		if ok && !starts {
			why = r.undue(c, r.now())
		}
		switch {
		case !ok:
			r.outside(req)
			next.ServeHTTP(w, req)
		case starts:
			r.declined(req, observe.KindReissue, c, 0, observe.WrongClass)
			rw := &writer{ResponseWriter: w}
			rw.attach = func(status int) { r.release(w, req, rw, status) }
			defer r.release(w, req, rw, 0) // a handler that panicked
			next.ServeHTTP(rw, req)
			rw.commit(http.StatusOK) // a handler that never wrote gets an implicit 200
		case why == "":
			rw := &writer{ResponseWriter: w, attach: func(status int) { r.attach(w, req, c, status) }}
			next.ServeHTTP(rw, req)
			// A handler that never wrote gets an implicit 200 from the server,
			// which sends the header map after this returns.
			rw.commit(http.StatusOK)
		default:
			r.declined(req, observe.KindReissue, c, 0, why)
			next.ServeHTTP(w, req)
		}
	})
}

// startsChain reports whether c's class is exchanged for a chain at a run
// route.
func (r *Reissuer) startsChain(c *token.Claims) bool {
	class, ok := r.issuer.Classes().Lookup(c.Class())
	return ok && class.ExchangedFor != ""
}

// ours reports whether c came from a token this issuer could have signed.
func (r *Reissuer) ours(c *token.Claims) bool { return r.issuer.Signed(c) }

// undue returns why c is not due for reissue at now, or "" when it is: a
// currently valid token of a reissued class (execution) of ours inside its
// reissue window, in a chain younger than MaxChainAge.
func (r *Reissuer) undue(c *token.Claims, now time.Time) string {
	if class, ok := r.issuer.Classes().Lookup(c.Class()); !ok || !class.Reissued {
		return observe.WrongClass
	}
	switch {
	case !r.ours(c):
		return observe.NotOurs
	case !now.Before(c.ExpiresAt):
		return observe.Expired
	}
	anchor := c.AuthTime
	if anchor.IsZero() {
		anchor = c.IssuedAt
	}
	if now.Sub(anchor) >= r.maxAge {
		return observe.ChainTooOld
	}
	if c.ExpiresAt.Sub(now) > max(c.ExpiresAt.Sub(c.IssuedAt)/5, MinWindow) {
		return observe.NotDue
	}
	return ""
}

// attach mints the successor of c, found due at admission, into w's header
// once the final status is known. The clock is not read again: a handler
// that ran past exp served an authorized request.
func (r *Reissuer) attach(w http.ResponseWriter, req *http.Request, c *token.Claims, status int) {
	var why string
	switch {
	case status < 200 || status >= 400:
		why = observe.ErrorStatus
	case !r.allowed(req, c):
		why = observe.HostDeclined
	}
	if why != "" {
		r.declined(req, observe.KindReissue, c, status, why)
		return
	}
	start := r.hooks.Time()
	raw, err := r.issuer.Reissue(c)
	r.minted(req, observe.KindReissue, c, status, start, err)
	if err != nil {
		r.log.ErrorContext(req.Context(), "refresh: reissue failed", slog.Any("err", err))
		return
	}
	r.set(w, raw)
}

// release puts the token Exchange left on rw in the header of a response
// whose final status is a success; on an error status, or a handler that
// panicked (status 0), the token is withdrawn, which is worth a warning: the
// handler called Exchange before it knew the outcome.
func (r *Reissuer) release(w http.ResponseWriter, req *http.Request, rw *writer, status int) {
	raw := rw.exchanged
	if raw == "" {
		return
	}
	rw.exchanged = ""
	if status >= 200 && status < 400 {
		r.set(w, raw)
		return
	}
	r.log.WarnContext(req.Context(), "refresh: exchanged token withdrawn: the run handler failed after Exchange",
		slog.Int("status", status))
}

// allowed asks the host hook, containing a panic so that the response still
// goes out. The panic value is not logged: it may hold claim values.
func (r *Reissuer) allowed(req *http.Request, c *token.Claims) (ok bool) {
	if r.allow == nil {
		return true
	}
	defer func() {
		if v := recover(); v != nil {
			r.log.ErrorContext(req.Context(), "refresh: Allow panicked; not reissuing",
				slog.String("panic_type", fmt.Sprintf("%T", v)))
			ok = false
		}
	}()
	return r.allow(req, c.Clone())
}

// set puts a new token in the response. A response carrying a credential
// must not be stored by caches (RFC 6749 §5.1).
func (r *Reissuer) set(w http.ResponseWriter, raw token.Raw) {
	h := w.Header()
	h.Set(r.header, string(raw))
	h.Set("Cache-Control", "no-store")
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 §5.1).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
