package jwks

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/execauth/execauth/observe"
)

// reportReload reports a read of the directory that began at began (by the
// hooks' clock): its outcome, why a state was refused (err), and for an
// applied one the keys it added and removed against prev, the parsed keys
// of the state it replaced. Call with d.mu held, after d.parsed and the
// listing are updated.
func (d *Dir) reportReload(ctx context.Context, began time.Time, outcome string, err error, prev map[string]parsedKey) {
	if d.hooks == nil {
		return
	}
	e := observe.KeyReload{Path: d.path, Outcome: outcome, Start: began, Duration: d.hooks.Time().Sub(began), Err: err}
	if l := d.listing.Load(); l != nil {
		e.Keys = len(*l)
	}
	if err != nil {
		e.Reason = reloadReason(err)
	}
	if outcome == observe.Applied {
		e.Added, e.Removed = changed(prev, d.parsed), changed(d.parsed, prev)
	}
	d.hooks.KeyReload(ctx, e)
}

// changed counts the keys of next that prev lacks: another kid, or the
// same kid with another algorithm or key file.
func changed(prev, next map[string]parsedKey) int {
	n := 0
	for kid, k := range next {
		if p, ok := prev[kid]; !ok || p.sum != k.sum || p.alg != k.alg {
			n++
		}
	}
	return n
}

// reloadReason is the code of why a read of the directory was refused, for
// observe.KeyReload.Reason.
func reloadReason(err error) string {
	switch {
	case errors.Is(err, ErrUnknownKey): // before fs.ErrNotExist, which it wraps
		return observe.MissingKeyFile
	case errors.Is(err, fs.ErrNotExist):
		return observe.Missing
	case errors.Is(err, ErrFileMode):
		return observe.FileMode
	case errors.Is(err, ErrWeakKey), errors.Is(err, ErrKeyMismatch),
		errors.Is(err, ErrUnsupportedKey), errors.Is(err, ErrUnsupportedAlgorithm):
		return observe.BadKey
	case errors.Is(err, ErrMalformed):
		return observe.Malformed
	}
	return observe.Unreadable
}
