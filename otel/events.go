package execotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/execauth/execauth/observe"
)

func (r *recorder) auth(ctx context.Context, e observe.Auth) {
	r.authRequests.Add(ctx, 1, r.authSets.get(authKey{
		route: e.Route, class: e.Class, reason: e.Reason, status: e.Status,
		admitted: e.Admitted, req: e.Requirement,
	}))
	if e.Start.IsZero() {
		return // no verification ran
	}
	r.verifyDuration.Record(ctx, e.Duration.Seconds(), r.verifySets.get(verifyKey{route: e.Route, admitted: e.Admitted, hit: e.CacheHit}))
	s := r.start(ctx, "execauth.verify", e.Start)
	if !s.IsRecording() {
		s.End()
		return
	}
	o := admitted
	if !e.Admitted {
		o = rejected
	}
	kv := []attribute.KeyValue{httpRoute.String(e.Route), outcome.String(o), cacheHit.Bool(e.CacheHit)}
	if e.Class != "" {
		kv = append(kv, class.String(e.Class))
	}
	if !e.Admitted {
		kv = append(kv, reason.String(e.Reason), httpStatus.Int(e.Status))
	}
	// A 5xx is the server failing; a refused token is the check working.
	end(s, e.Start, e.Duration, e.Status >= 500, "verification unavailable", kv)
}

func (r *recorder) reissue(ctx context.Context, e observe.Reissue) {
	r.reissues.Add(ctx, 1, r.reissueSets.get(reissueKey{
		kind: e.Kind, outcome: e.Outcome, reason: e.Reason, route: e.Route, class: e.Class, status: e.Status,
	}))
	if e.Start.IsZero() {
		return // nothing was minted or tried
	}
	s := r.start(ctx, "execauth."+e.Kind, e.Start)
	if !s.IsRecording() {
		s.End()
		return
	}
	kv := []attribute.KeyValue{
		kind.String(e.Kind), outcome.String(e.Outcome), httpRoute.String(e.Route), class.String(e.Class),
	}
	if e.Status != 0 {
		kv = append(kv, httpStatus.Int(e.Status))
	}
	end(s, e.Start, e.Duration, e.Outcome == observe.Failed, "minting failed", kv)
}

func (r *recorder) fetch(ctx context.Context, e observe.Fetch) {
	o := succeeded
	if e.Err != nil {
		o = failed
	}
	kv := []attribute.KeyValue{urlFull.String(e.URL), outcome.String(o)}
	if e.Status != 0 {
		kv = append(kv, httpStatus.Int(e.Status))
	}
	set := metric.WithAttributeSet(attribute.NewSet(kv...))
	r.fetches.Add(ctx, 1, set)
	r.fetchDuration.Record(ctx, e.Duration.Seconds(), set)
	byURL := metric.WithAttributes(urlFull.String(e.URL))
	if e.Added > 0 {
		r.keysAdded.Add(ctx, int64(e.Added), byURL)
	}
	if e.Removed > 0 {
		r.keysRemoved.Add(ctx, int64(e.Removed), byURL)
	}
	for _, why := range e.Skipped {
		r.keysSkipped.Add(ctx, 1, metric.WithAttributes(urlFull.String(e.URL), reason.String(why)))
	}
	if e.Err == nil {
		r.mu.Lock()
		r.lastOK[e.URL] = e.Start.Add(e.Duration)
		r.mu.Unlock()
	}
	end(r.start(ctx, "execauth.jwks.fetch", e.Start), e.Start, e.Duration, e.Err != nil, "fetch failed",
		append(kv, attribute.Int("execauth.jwks.keys", e.Keys), attribute.Int("execauth.jwks.keys.added", e.Added),
			attribute.Int("execauth.jwks.keys.removed", e.Removed), attribute.Int("execauth.jwks.keys.skipped", len(e.Skipped))))
}

func (r *recorder) staleURL(ctx context.Context, e observe.Stale) {
	r.stale.Add(ctx, 1, metric.WithAttributes(urlFull.String(e.URL)))
}

func (r *recorder) keyMiss(ctx context.Context, e observe.KeyMiss) {
	r.keyMisses.Add(ctx, 1, metric.WithAttributes(outcome.String(e.Outcome)))
}

func (r *recorder) revocation(ctx context.Context, e observe.Revocation) {
	r.revocations.Add(ctx, 1, metric.WithAttributes(outcome.String(e.Outcome), cacheHit.Bool(e.CacheHit)))
}

func (r *recorder) revocationSync(ctx context.Context, e observe.RevocationSync) {
	o := succeeded
	if e.Err != nil {
		o = failed
	}
	r.revocationSyncs.Add(ctx, 1, metric.WithAttributes(outcome.String(o)))
	if e.SyncedAt.IsZero() {
		return
	}
	r.mu.Lock()
	if e.SyncedAt.After(r.revokedAt) {
		r.revokedAt = e.SyncedAt
	}
	r.mu.Unlock()
}

func (r *recorder) keyReload(ctx context.Context, e observe.KeyReload) {
	kv := []attribute.KeyValue{outcome.String(e.Outcome)}
	if e.Reason != "" {
		kv = append(kv, reason.String(e.Reason))
	}
	r.keyReloads.Add(ctx, 1, metric.WithAttributes(kv...))
}

func (r *recorder) swap(ctx context.Context, e observe.Swap) {
	r.swaps.Add(ctx, 1, metric.WithAttributes(outcome.String(e.Outcome), httpStatus.Int(e.Status)))
}

func (r *recorder) retry(ctx context.Context, e observe.Retry) {
	kv := []attribute.KeyValue{outcome.String(e.Outcome)}
	if e.Status != 0 {
		kv = append(kv, httpStatus.Int(e.Status))
	}
	r.retries.Add(ctx, 1, metric.WithAttributes(kv...))
}

func (r *recorder) fileRead(ctx context.Context, e observe.FileRead) {
	o := unchanged
	switch {
	case e.Err != nil:
		o = failed
	case e.Changed:
		o = changed
	}
	r.fileReads.Add(ctx, 1, metric.WithAttributes(outcome.String(o), forced.Bool(e.Forced)))
}

// start begins a span at start. Callers build its attributes only if it
// records: with tracing off, a span costs next to nothing.
func (r *recorder) start(ctx context.Context, name string, start time.Time) trace.Span {
	_, s := r.tracer.Start(ctx, name, trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindInternal))
	return s
}

// end finishes s at start+took with kv. A failure sets the status to Error
// with fixed text: an error's own text may name a file or a URL and stays
// out of telemetry.
func end(s trace.Span, start time.Time, took time.Duration, fail bool, why string, kv []attribute.KeyValue) {
	if !s.IsRecording() {
		s.End()
		return
	}
	s.SetAttributes(kv...)
	if fail {
		s.SetStatus(codes.Error, why)
	}
	s.End(trace.WithTimestamp(start.Add(took)))
}
