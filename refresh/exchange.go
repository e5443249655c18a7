package refresh

import (
	"fmt"
	"net/http"

	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// Exchange starts an execution chain at the run endpoint. For a workload
// token (read with [token.FromContext]) it puts an execution token — same
// sub and aud, auth_time = now — in the response header; for an execution
// token it does nothing and returns nil ([Reissuer.Middleware] covers that
// one). Any other class, or no claims, is an error, as is a workload token
// of another issuer, signed by a key the issuer does not hold, or at or past
// its exp. A failure to mint wraps [token.ErrNotMinted].
//
// Call it from the run handler after the task's state transition succeeded
// and before writing the response: headers set after the first write are
// lost. Inside [Reissuer.Middleware], which the run route needs anyway, a
// call after the response header was sent fails with [ErrHeaderWritten]
// rather than lose the token unnoticed; without the middleware it cannot
// tell. A workload token stays valid until its exp, so the host must refuse a
// second run of the same task itself (the reference server answers 409);
// Exchange keeps no state. On error the host answers with an error status and
// no token is handed out.
func (r *Reissuer) Exchange(w http.ResponseWriter, req *http.Request) error {
	c, ok := token.FromContext(req.Context())
	if !ok {
		return ErrNoClaims
	}
	switch c.Class() {
	case scope.Execution:
		return nil
	case scope.Workload:
	default:
		return fmt.Errorf("%w: not a workload token", ErrNotExchangeable)
	}
	if !r.ours(c) {
		return fmt.Errorf("%w: another issuer or key", ErrNotExchangeable)
	}
	if !r.now().Before(c.ExpiresAt) {
		return fmt.Errorf("%w: expired", ErrNotExchangeable)
	}
	if headerSent(w) {
		return ErrHeaderWritten
	}
	raw, err := r.issuer.Exchange(c)
	if err != nil {
		return fmt.Errorf("refresh: exchange: %w", err)
	}
	r.set(w, raw)
	return nil
}
