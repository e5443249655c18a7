package refresh

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/token"
)

// declined reports a token not handed out, and why.
func (r *Reissuer) declined(req *http.Request, kind string, c *token.Claims, status int, why string) {
	if r.hooks == nil {
		return
	}
	r.hooks.Reissue(req.Context(), observe.Reissue{
		Kind: kind, Outcome: observe.Declined, Reason: why,
		Route: req.Pattern, Class: string(c.Class()), Status: status,
	})
}

// failed reports a token that could not be handed out before minting: the
// header was sent, or the first-exchange record could not be read.
func (r *Reissuer) failed(req *http.Request, kind string, c *token.Claims, err error) {
	if r.hooks == nil {
		return
	}
	r.hooks.Reissue(req.Context(), observe.Reissue{
		Kind: kind, Outcome: observe.Failed, Route: req.Pattern, Class: string(c.Class()), Err: err,
	})
}

// minted reports a token minted since start, or the failure err.
func (r *Reissuer) minted(req *http.Request, kind string, c *token.Claims, status int, start time.Time, err error) {
	if r.hooks == nil {
		return
	}
	e := observe.Reissue{
		Kind: kind, Outcome: observe.Minted, Route: req.Pattern, Class: string(c.Class()),
		Status: status, Start: start, Duration: r.hooks.Time().Sub(start), Err: err,
	}
	if err != nil {
		e.Outcome = observe.Failed
	}
	r.hooks.Reissue(req.Context(), e)
}

// swapReport reports what the Transport did with a refresh header.
func (t *Transport) swapReport(ctx context.Context, resp *http.Response, outcome string) {
	if t.hooks != nil {
		t.hooks.Swap(ctx, observe.Swap{Origin: t.origin.String(), Status: resp.StatusCode, Outcome: outcome})
	}
}

// retryReport reports what the Transport did after a 401; resp is the
// retried request's response, if any.
func (t *Transport) retryReport(ctx context.Context, outcome string, resp *http.Response) {
	if t.hooks == nil {
		return
	}
	e := observe.Retry{Origin: t.origin.String(), Outcome: outcome}
	if outcome == observe.Retried && resp != nil {
		e.Status = resp.StatusCode
	}
	t.hooks.Retry(ctx, e)
}

// String returns the origin as scheme://host:port, for events.
func (o origin) String() string { return o.scheme + "://" + net.JoinHostPort(o.host, o.port) }
