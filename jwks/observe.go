package jwks

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/execauth/execauth/observe"
)

// lacking counts the keys of next that set does not hold: same kid,
// algorithm and public key.
func lacking(set, next []Key) int {
	n := 0
	for _, k := range next {
		if !slices.ContainsFunc(set, func(o Key) bool { return samePublic(k, o) }) {
			n++
		}
	}
	return n
}

// reportFetch reports the fetch of URL i.
func (c *Cache) reportFetch(ctx context.Context, i int, r result) {
	if c.hooks == nil {
		return
	}
	e := observe.Fetch{
		URL: c.names[i], Start: r.start, Duration: r.took, Status: r.status, Err: r.err,
		Keys: len(r.keys), Added: r.added, Removed: r.removed,
	}
	for _, err := range r.skipped {
		e.Skipped = append(e.Skipped, skipReason(err))
	}
	c.hooks.Fetch(ctx, e)
}

// skipReason is the code of why a key was left out of a set, for
// observe.Fetch.Skipped.
func skipReason(err error) string {
	for _, r := range [...]struct {
		err  error
		code string
	}{
		// errDuplicateKID and errMissingKID wrap ErrInvalidKID: first.
		{errDuplicateKID, "duplicate_kid"},
		{errMissingKID, "missing_kid"},
		{ErrInvalidKID, "invalid_kid"},
		{ErrWeakKey, "weak_key"},
		{ErrKeyMismatch, "key_mismatch"},
		{ErrUnsupportedAlgorithm, "unsupported_algorithm"},
		{ErrUnsupportedKey, "unsupported_key"},
	} {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	return "malformed"
}

// crossed lists the URLs whose keys prev used and that are MaxStale old at
// now: the ones the next publish drops. prev used a URL's keys if they
// expire no earlier than prev.staleAt, the first expiry among them. Call
// with mu held; report the result after releasing it.
func (c *Cache) crossed(prev *view, now time.Time) []observe.Stale {
	if c.hooks == nil || prev == nil || prev.staleAt.IsZero() {
		return nil
	}
	var out []observe.Stale
	for i, s := range c.sources {
		if s.fetched.IsZero() {
			continue
		}
		until := s.fetched.Add(c.maxStale)
		if !until.Before(prev.staleAt) && !now.Before(until) {
			out = append(out, observe.Stale{URL: c.names[i], Age: now.Sub(s.fetched)})
		}
	}
	return out
}

func (c *Cache) reportStale(stale []observe.Stale) {
	for _, e := range stale {
		c.hooks.Stale(context.Background(), e)
	}
}

// missed reports what the refresh limiter did for a lookup that missed:
// started a fetch, joined one, or neither (f is nil).
func (c *Cache) missed(ctx context.Context, f *fetch, started bool) {
	if c.hooks == nil || len(c.urls) == 0 {
		return
	}
	outcome := observe.Limited
	switch {
	case started:
		outcome = observe.Fetched
	case f != nil:
		outcome = observe.Joined
	}
	c.hooks.KeyMiss(ctx, observe.KeyMiss{Outcome: outcome})
}
