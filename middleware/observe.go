package middleware

import (
	"context"
	"net/http"
	"time"

	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/token"
)

// measure is what verification tells the Auth event: when it ran, how long
// it took, the token's class and whether the cache answered. It lives on
// the request goroutine's stack.
type measure struct {
	start  time.Time
	took   time.Duration
	class  string
	result token.Result
}

// verify runs the verifier, timed and with its Result when Hooks.OnAuth is
// set.
func (g *guard) verify(ctx context.Context, raw string, m *measure) (*token.Claims, error) {
	if g.hooks == nil {
		return g.verifier.Verify(ctx, raw)
	}
	m.start = g.hooks.Time()
	c, err := g.verifier.VerifyResult(ctx, raw, &m.result)
	m.took = g.hooks.Time().Sub(m.start)
	if c != nil {
		m.class = string(c.Class())
	}
	return c, err
}

// report hands Authenticate's decision to Hooks.OnAuth.
func (g *guard) report(r *http.Request, rej *Error, m *measure) {
	if g.hooks == nil {
		return
	}
	e := observe.Auth{
		Route: r.Pattern, Class: m.class, Admitted: rej == nil,
		CacheHit: m.result.CacheHit, Start: m.start, Duration: m.took,
	}
	if rej != nil {
		e.Status, e.Reason = rej.Status, rej.Reason()
	}
	g.hooks.Auth(r.Context(), e)
}

// refuse reports a route requirement's refusal, then answers it.
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, c *token.Claims, e *Error) {
	if g.hooks != nil {
		ev := observe.Auth{Route: r.Pattern, Requirement: true, Status: e.Status, Reason: e.Reason()}
		if c != nil {
			ev.Class = string(c.Class())
		}
		g.hooks.Auth(r.Context(), ev)
	}
	g.reject(w, r, e)
}
