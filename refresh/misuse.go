package refresh

import (
	"log/slog"
	"net/http"
)

// outside reports, once per Reissuer, a request that reached
// [Reissuer.Middleware] without verified claims: the middleware runs outside
// authentication and will never reissue a token. Only the route pattern is
// logged; the request carries nothing verified to log.
func (r *Reissuer) outside(req *http.Request) {
	if r.warned.Load() || !r.warned.CompareAndSwap(false, true) {
		return
	}
	r.log.ErrorContext(req.Context(),
		"refresh: Reissuer.Middleware runs outside authentication: no verified claims, no token is reissued",
		slog.String("route", req.Pattern))
}
