package token

import "context"

// Result tells how [Verifier.VerifyResult] reached its answer, beyond the
// claims or the error: what an observer reports next to the outcome.
type Result struct {
	// CacheHit reports that the token was found in the cache of verified
	// tokens ([VerifierConfig.CacheSize]), so its signature was not checked
	// again; the time claims were. It is set whatever the outcome: a cached
	// token may have expired since.
	CacheHit bool
}

// VerifyResult is [Verifier.Verify] that also fills in res, if not nil.
// Middleware that reports its decisions calls it; it allocates no more than
// Verify.
func (v *Verifier) VerifyResult(ctx context.Context, raw string, res *Result) (*Claims, error) {
	if v.cache != nil {
		return v.verifyCached(ctx, raw, res)
	}
	return v.verify(ctx, raw)
}
