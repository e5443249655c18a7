package refresh

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/execauth/execauth/token"
)

// Narrow runs a narrowing exchange for the request's token (read with
// [token.FromContext]): it returns a token of grant's class that is never
// wider and never longer-lived than the request's, as [token.Issuer.Narrow]
// enforces, for the host to hand out in its response body (not in the
// refresh header: the caller keeps its own token for its next calls). The
// host decides what to grant, e.g. a parse token bound to one file of one
// bundle for a processor token.
//
// Without claims it fails with [ErrNoClaims]. A source or grant that breaks a
// narrowing rule fails with an error matching both [ErrNotExchangeable] and
// [token.ErrNarrowing] (a valid token without the right: answer 403); any
// other failure to mint wraps [token.ErrNotMinted].
func (r *Reissuer) Narrow(req *http.Request, grant token.Grant) (token.Raw, error) {
	c, ok := token.FromContext(req.Context())
	if !ok {
		return "", ErrNoClaims
	}
	raw, err := r.issuer.Narrow(c, grant)
	switch {
	case errors.Is(err, token.ErrNarrowing):
		return "", fmt.Errorf("%w: %w", ErrNotExchangeable, err)
	case err != nil:
		return "", fmt.Errorf("refresh: narrow: %w", err)
	}
	return raw, nil
}
