package execotel

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/execauth/execauth/observe"
)

// ScopeName is the instrumentation scope of every meter and tracer.
const ScopeName = "github.com/execauth/execauth/otel"

// Config configures [New]. Every zero value is a working default.
type Config struct {
	// MeterProvider creates the instruments. If nil, the global provider
	// (otel.GetMeterProvider) is used.
	MeterProvider metric.MeterProvider
	// TracerProvider starts the spans. If nil, the global provider
	// (otel.GetTracerProvider) is used.
	TracerProvider trace.TracerProvider
	// Now returns the current time, for the staleness gauge and as the
	// hooks' clock (observe.Hooks.Now), which times verifications, fetches
	// and mints. If nil, time.Now is used.
	Now func() time.Time
}

// durationBuckets are the histogram boundaries, in seconds: a cached
// verification takes microseconds, a signature tens of microseconds, a
// lookup that waits for a fetch up to the fetch timeout.
var durationBuckets = []float64{
	5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
	1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5,
}

// recorder holds the instruments and the little state the hooks need. It is
// safe for concurrent use.
type recorder struct {
	tracer trace.Tracer
	now    func() time.Time

	authRequests, reissues                 metric.Int64Counter
	verifyDuration, fetchDuration          metric.Float64Histogram
	fetches, keysAdded, keysRemoved        metric.Int64Counter
	keysSkipped, stale, keyMisses          metric.Int64Counter
	revocations, swaps, retries, fileReads metric.Int64Counter
	revocationSyncs, keyReloads            metric.Int64Counter
	authSets                               optionCache[authKey]
	verifySets                             optionCache[verifyKey]
	reissueSets                            optionCache[reissueKey]
	mu                                     sync.Mutex
	lastOK                                 map[string]time.Time // by URL: the last successful fetch
	revokedAt                              time.Time            // the revocation view's last successful sync; zero if none
}

// New returns hooks that record every event as metrics and spans. Pass the
// same hooks to every component. The staleness gauge is observed for as long
// as the meter provider lives.
func New(cfg Config) (*observe.Hooks, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	r := &recorder{tracer: tp.Tracer(ScopeName), now: cfg.Now, lastOK: map[string]time.Time{}}
	if r.now == nil {
		r.now = time.Now
	}
	if err := r.instruments(mp.Meter(ScopeName)); err != nil {
		return nil, err
	}
	r.authSets.build, r.verifySets.build, r.reissueSets.build = authKey.set, verifyKey.set, reissueKey.set
	return &observe.Hooks{
		OnAuth: r.auth, OnReissue: r.reissue, OnFetch: r.fetch, OnStale: r.staleURL,
		OnKeyMiss: r.keyMiss, OnRevocation: r.revocation,
		OnRevocationSync: r.revocationSync, OnKeyReload: r.keyReload,
		OnSwap: r.swap, OnRetry: r.retry, OnFileRead: r.fileRead,
		Now: r.now,
	}, nil
}

// instruments creates every instrument on m.
func (r *recorder) instruments(m metric.Meter) error {
	var errs []error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		*dst = c
		errs = append(errs, err)
	}
	histogram := func(dst *metric.Float64Histogram, name, desc string) {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		*dst = h
		errs = append(errs, err)
	}
	counter(&r.authRequests, "execauth.auth.requests", "{request}", "Decisions of authentication: admitted, or rejected with a reason code.")
	histogram(&r.verifyDuration, "execauth.verify.duration", "Duration of token verification.")
	counter(&r.reissues, "execauth.reissue.decisions", "{decision}", "Reissue and run-exchange decisions: minted, declined with a reason, failed.")
	counter(&r.fetches, "execauth.jwks.fetches", "{fetch}", "JWK Set fetches, per URL and outcome.")
	histogram(&r.fetchDuration, "execauth.jwks.fetch.duration", "Duration of a JWK Set fetch, body and parsing included.")
	counter(&r.keysAdded, "execauth.jwks.keys.added", "{key}", "Keys a fetch added to a URL's set.")
	counter(&r.keysRemoved, "execauth.jwks.keys.removed", "{key}", "Keys a fetch removed from a URL's set.")
	counter(&r.keysSkipped, "execauth.jwks.keys.skipped", "{key}", "Keys left out of a fetched set, per reason.")
	counter(&r.stale, "execauth.jwks.stale", "{event}", "URLs whose keys stopped verifying because their last successful fetch is MaxStale old.")
	counter(&r.keyMisses, "execauth.jwks.key_misses", "{lookup}", "Lookups of an unknown kid, by what the refresh limiter did.")
	counter(&r.revocations, "execauth.revocations", "{token}", "Tokens refused at the revocation check: revoked, or the list could not answer.")
	counter(&r.swaps, "execauth.client.swaps", "{response}", "Refresh headers the client adopted or ignored.")
	counter(&r.retries, "execauth.client.retries", "{response}", "What the client did after a 401.")
	counter(&r.fileReads, "execauth.client.file_reads", "{read}", "Reads of a provisioned token file.")
	counter(&r.revocationSyncs, "execauth.revocation.syncs", "{sync}", "Syncs of the revocation list with its store, by outcome.")
	counter(&r.keyReloads, "execauth.keys.reloads", "{read}", "Reads of the key directory: applied, unchanged, or refused with a reason.")
	gauge := func(name, desc string, f metric.Float64Callback) {
		_, err := m.Float64ObservableGauge(name, metric.WithUnit("s"), metric.WithDescription(desc), metric.WithFloat64Callback(f))
		errs = append(errs, err)
	}
	gauge("execauth.jwks.staleness", "Time since the last successful fetch of a JWK Set URL.", r.observeStaleness)
	gauge("execauth.revocation.staleness", "Time since the start of the revocation list's last successful sync.", r.observeRevocationStaleness)
	return errors.Join(errs...)
}

// observeStaleness reports, per URL fetched at least once, the time since
// its last successful fetch.
func (r *recorder) observeStaleness(_ context.Context, o metric.Float64Observer) error {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for u, at := range r.lastOK {
		o.Observe(now.Sub(at).Seconds(), metric.WithAttributes(urlFull.String(u)))
	}
	return nil
}

// observeRevocationStaleness reports the age of the revocation list's view,
// once a sync has succeeded.
func (r *recorder) observeRevocationStaleness(_ context.Context, o metric.Float64Observer) error {
	now := r.now()
	r.mu.Lock()
	at := r.revokedAt
	r.mu.Unlock()
	if !at.IsZero() {
		o.Observe(now.Sub(at).Seconds())
	}
	return nil
}
