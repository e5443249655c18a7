package refresh

import (
	"fmt"
	"net/http"

	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/token"
)

// Exchange starts an execution chain at the run endpoint. For a token (read
// with [token.FromContext]) whose class names one in
// [token.Class.ExchangedFor] — a workload token among the built-ins — it puts
// a token of that class (execution) — same sub and aud — in the response
// header; for a token of a [token.Class.Reissued] class (execution) it does
// nothing and returns nil ([Reissuer.Middleware] covers that one). Any other
// class, or no claims, is an error, as is a token of another issuer, signed
// by a key the issuer does not hold, or at or past its exp. A failure to
// mint wraps [token.ErrNotMinted].
//
// The chain's auth_time is the subject's first exchange, recorded in
// [ReissuerConfig.Exchanges] until the workload token expires: an identical
// retry, on any replica, gets a token of the same chain, so a workload token
// cannot start fresh chains and MaxChainAge keeps biting. Once the first
// exchange is MaxChainAge old, Exchange refuses ([ErrNotExchangeable]). When
// the record cannot be read or written, Exchange fails with an error that
// matches [ErrUnavailable] (answer 503) and hands out nothing. A revoked
// subject never gets here: its token fails verification.
//
// Call it from the run handler after the task's state transition succeeded
// and before writing the response: headers set after the first write are
// lost. Inside [Reissuer.Middleware], which the run route needs anyway, a
// call after the response header was sent fails with [ErrHeaderWritten]
// rather than lose the token unnoticed; without the middleware it cannot
// tell. A workload token stays valid until its exp, so the host must still
// refuse a second run of the same task itself (the reference server answers
// 409). On error the host answers with an error status and no token is
// handed out. Inside Reissuer.Middleware the token waits for the response's
// final status: it goes out with a success (2xx, 3xx) and is withdrawn, with
// a warning, if the handler answers an error status or panics, so a run
// that failed hands out no token; an informational (1xx) response never
// carries it. Without the middleware it is set in the header at once.
func (r *Reissuer) Exchange(w http.ResponseWriter, req *http.Request) error {
	c, ok := token.FromContext(req.Context())
	if !ok {
		return ErrNoClaims
	}
	switch class, _ := r.issuer.Classes().Lookup(c.Class()); {
	case class.Reissued: // already in a chain: Middleware reissues it
		return nil
	case class.ExchangedFor == "":
		r.declined(req, observe.KindExchange, c, 0, observe.WrongClass)
		return fmt.Errorf("%w: the token's class starts no chain", ErrNotExchangeable)
	}
	if !r.ours(c) {
		r.declined(req, observe.KindExchange, c, 0, observe.NotOurs)
		return fmt.Errorf("%w: another issuer or key", ErrNotExchangeable)
	}
	now := r.now()
	if !now.Before(c.ExpiresAt) {
		r.declined(req, observe.KindExchange, c, 0, observe.Expired)
		return fmt.Errorf("%w: expired", ErrNotExchangeable)
	}
	rw := middlewareWriter(w)
	if rw != nil && rw.done {
		r.failed(req, observe.KindExchange, c, ErrHeaderWritten)
		return ErrHeaderWritten
	}
	first, err := r.first.FirstExchange(req.Context(), c.Subject, now, c.ExpiresAt.Add(revoke.ExpiryMargin))
	if err != nil {
		err = fmt.Errorf("%w: first exchange: %w", ErrUnavailable, err)
		r.failed(req, observe.KindExchange, c, err)
		return err
	}
	if now.Sub(first) >= r.maxAge {
		r.declined(req, observe.KindExchange, c, 0, observe.ChainTooOld)
		return fmt.Errorf("%w: chain older than MaxChainAge", ErrNotExchangeable)
	}
	start := r.hooks.Time()
	raw, err := r.issuer.Exchange(c, first)
	r.minted(req, observe.KindExchange, c, 0, start, err)
	if err != nil {
		return fmt.Errorf("refresh: exchange: %w", err)
	}
	if rw == nil {
		r.set(w, raw)
		return nil
	}
	rw.exchanged = raw
	return nil
}
