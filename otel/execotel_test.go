package execotel_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/observe"
	execotel "github.com/execauth/execauth/otel"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	heartbeat = "PUT /tasks/{id}/heartbeat"
	run       = "PATCH /tasks/{id}/run"
)

// env is a host wired as the README shows: one set of hooks from New given
// to the key cache, the middleware, the reissuer and the client, recording
// into an in-memory metric reader and span recorder.
type env struct {
	clock   *authtest.Clock
	iss     *authtest.Issuer
	keys    *jwks.Cache
	reader  *sdkmetric.ManualReader
	spans   *tracetest.SpanRecorder
	tracer  *sdktrace.TracerProvider
	hooks   *observe.Hooks
	srv     *httptest.Server
	jwksURL string // as configured, with credentials
}

func newEnv(t *testing.T, now func() time.Time) *env {
	t.Helper()
	e := &env{clock: authtest.NewClock(t0), reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	e.iss = authtest.NewIssuer(t, authtest.WithClock(e.clock))
	e.tracer = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans))
	if now == nil {
		now = e.clock.Now
	}
	hooks, err := execotel.New(execotel.Config{
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader)),
		TracerProvider: e.tracer, Now: now,
	})
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)

	e.jwksURL = strings.Replace(e.iss.JWKSURL(), "http://", "http://user:pa55word@", 1) + "?api_key=s3cret"
	e.keys, err = jwks.NewCache(t.Context(), jwks.CacheConfig{URLs: []string{e.jwksURL}, Hooks: hooks, Now: e.clock.Now, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(e.keys.Close)
	v, err := token.NewVerifier(token.VerifierConfig{
		Keys: e.keys, Issuer: authtest.DefaultIssuerName, Audience: []string{authtest.DefaultAudience},
		Now: e.clock.Now, CacheSize: 64,
	})
	require.NoError(t, err)
	re, err := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: e.iss.TokenIssuer(), Now: e.clock.Now, Hooks: hooks, Logger: quiet})
	require.NoError(t, err)
	auth := func(classes ...scope.Scope) func(http.Handler) http.Handler {
		return middleware.Authenticate(middleware.Config{Verifier: v, Classes: classes, Hooks: hooks, Logger: quiet})
	}
	self := middleware.RequireSubject("id")
	mux := http.NewServeMux()
	mux.Handle(heartbeat, auth()(self(re.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))))
	mux.Handle(run, auth(scope.Workload, scope.Execution)(self(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := re.Exchange(w, r); err != nil {
			w.WriteHeader(http.StatusConflict)
		}
	}))))
	// The host traces its requests: verification spans nest under them.
	server := e.tracer.Tracer("host")
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := server.Start(r.Context(), "request")
		defer span.End()
		mux.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(e.srv.Close)
	e.hooks = hooks
	return e
}

// do sends method path with the bearer token tok ("" for none) through
// client, or a plain client when nil.
func (e *env) do(t *testing.T, client *http.Client, method, path string, tok token.Raw) *http.Response {
	t.Helper()
	if client == nil {
		client = e.srv.Client()
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, nil)
	require.NoError(t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+string(tok))
	}
	res, err := client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res
}

func (e *env) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, e.reader.Collect(context.Background(), &rm))
	return rm
}

// find returns the metric named name.
func find(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
		}
	}
	require.Failf(t, "no metric", "%s", name)
	return metricdata.Metrics{}
}

// labels renders an attribute set as "k=v,k=v", sorted by key.
func labels(s attribute.Set) string {
	var parts []string
	for it := s.Iter(); it.Next(); {
		kv := it.Attribute()
		parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
	}
	return strings.Join(parts, ",")
}

// sums returns the points of an int64 counter by their labels.
func sums(t *testing.T, rm metricdata.ResourceMetrics, name string) map[string]int64 {
	t.Helper()
	data, ok := find(t, rm, name).Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is an int64 sum", name)
	out := map[string]int64{}
	for _, p := range data.DataPoints {
		out[labels(p.Attributes)] = p.Value
	}
	return out
}

// TestMetrics drives a host through the run exchange, heartbeats, a
// reissue, refusals and a key rotation, and reads every count back.
func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	task := uuid.New()
	id := task.String()
	hb, runPath := "/tasks/"+id+"/heartbeat", "/tasks/"+id+"/run"

	// A worker: the workload token, exchanged at the run route, then
	// heartbeats with the execution token the Transport swapped in.
	tr, err := refresh.NewTransport(refresh.TransportConfig{
		Base: e.srv.Client().Transport, Source: refresh.StaticSource(e.iss.Workload(t, task)), BaseURL: e.srv.URL, Hooks: e.hooks,
	})
	require.NoError(t, err)
	worker := &http.Client{Transport: tr}
	require.Equal(t, http.StatusOK, e.do(t, worker, http.MethodPatch, runPath, "").StatusCode)
	require.Equal(t, http.StatusNoContent, e.do(t, worker, http.MethodPut, hb, "").StatusCode)
	require.Equal(t, http.StatusNoContent, e.do(t, worker, http.MethodPut, hb, "").StatusCode)

	// Near the end of the execution token: reissued.
	e.clock.Advance(9*time.Minute + 50*time.Second)
	require.Equal(t, http.StatusNoContent, e.do(t, worker, http.MethodPut, hb, "").StatusCode)

	// Refusals.
	require.Equal(t, http.StatusUnauthorized, e.do(t, nil, http.MethodPut, hb, "").StatusCode)
	require.Equal(t, http.StatusUnauthorized, e.do(t, nil, http.MethodPut, hb, e.iss.Execution(t, task, authtest.Expired())).StatusCode)
	require.Equal(t, http.StatusForbidden, e.do(t, nil, http.MethodPut, hb, e.iss.Workload(t, task)).StatusCode)
	require.Equal(t, http.StatusForbidden, e.do(t, nil, http.MethodPut, "/tasks/"+uuid.NewString()+"/heartbeat", e.iss.Execution(t, task)).StatusCode)

	// A rotation: the next refresh adds one key.
	e.iss.Rotate(t)
	require.NoError(t, e.keys.Refresh(t.Context()))
	e.clock.Advance(90 * time.Second)

	rm := e.collect(t)
	assert.Equal(t, map[string]int64{
		"execauth.auth.stage=authenticate,execauth.outcome=admitted,execauth.token.class=workload,http.route=" + run:                                                                        1,
		"execauth.auth.stage=authenticate,execauth.outcome=admitted,execauth.token.class=execution,http.route=" + heartbeat:                                                                 4,
		"execauth.auth.stage=authenticate,execauth.outcome=rejected,execauth.reason=no_credentials,http.response.status_code=401,http.route=" + heartbeat:                                   1,
		"execauth.auth.stage=authenticate,execauth.outcome=rejected,execauth.reason=expired,http.response.status_code=401,http.route=" + heartbeat:                                          1,
		"execauth.auth.stage=authenticate,execauth.outcome=rejected,execauth.reason=insufficient_scope,execauth.token.class=workload,http.response.status_code=403,http.route=" + heartbeat: 1,
		"execauth.auth.stage=requirement,execauth.outcome=rejected,execauth.reason=subject_mismatch,execauth.token.class=execution,http.response.status_code=403,http.route=" + heartbeat:   1,
	}, sums(t, rm, "execauth.auth.requests"))

	reissues := sums(t, rm, "execauth.reissue.decisions")
	assert.Equal(t, int64(1), reissues["execauth.outcome=minted,execauth.reissue.kind=exchange,execauth.token.class=workload,http.route="+run])
	assert.Equal(t, int64(1), reissues["execauth.outcome=minted,execauth.reissue.kind=reissue,execauth.token.class=execution,http.response.status_code=204,http.route="+heartbeat])
	assert.Equal(t, int64(2), reissues["execauth.outcome=declined,execauth.reason=not_due,execauth.reissue.kind=reissue,execauth.token.class=execution,http.route="+heartbeat])

	clean := e.iss.JWKSURL()
	assert.Equal(t, map[string]int64{
		"execauth.outcome=ok,http.response.status_code=200,url.full=" + clean: 2,
	}, sums(t, rm, "execauth.jwks.fetches"))
	assert.Equal(t, map[string]int64{"url.full=" + clean: 2}, sums(t, rm, "execauth.jwks.keys.added"), "the first key, then the rotated one")

	staleness, ok := find(t, rm, "execauth.jwks.staleness").Data.(metricdata.Gauge[float64])
	require.True(t, ok)
	require.Len(t, staleness.DataPoints, 1)
	assert.Equal(t, "url.full="+clean, labels(staleness.DataPoints[0].Attributes))
	assert.InDelta(t, 90, staleness.DataPoints[0].Value, 1e-9, "seconds since the last successful fetch")

	verify, ok := find(t, rm, "execauth.verify.duration").Data.(metricdata.Histogram[float64])
	require.True(t, ok)
	var verified uint64
	for _, p := range verify.DataPoints {
		verified += p.Count
	}
	assert.EqualValues(t, 7, verified, "every request that had a token")

	assert.Equal(t, map[string]int64{
		"execauth.outcome=swapped,http.response.status_code=200": 1,
		"execauth.outcome=swapped,http.response.status_code=204": 1,
	}, sums(t, rm, "execauth.client.swaps"))

	assertNoSecrets(t, e, rm, id)
}

// TestKeyAndClientMetrics covers the rarer events: a fetch that fails, a
// key left out, an unknown kid, a retry and a token file read.
func TestKeyAndClientMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	task := uuid.New()
	hb := "/tasks/" + task.String() + "/heartbeat"

	require.Equal(t, http.StatusUnauthorized, e.do(t, nil, http.MethodPut, hb, e.iss.Execution(t, task, authtest.UnknownKey())).StatusCode)

	// A processor reads its token from a file; the server refuses the
	// first one (another issuer's key), the file is rotated, the client
	// re-reads it and retries.
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	require.NoError(t, refresh.WriteTokenFile(path, e.iss.Execution(t, task, authtest.UnknownKey())))
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: path, Now: e.clock.Now, Hooks: e.hooks, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	tr, err := refresh.NewTransport(refresh.TransportConfig{
		Base: e.srv.Client().Transport, Source: src, BaseURL: e.srv.URL, Hooks: e.hooks,
	})
	require.NoError(t, err)
	require.NoError(t, refresh.WriteTokenFile(path, e.iss.Execution(t, task)))
	assert.Equal(t, http.StatusNoContent, e.do(t, &http.Client{Transport: tr}, http.MethodPut, hb, "").StatusCode)
	require.NoError(t, os.Remove(path))
	e.clock.Advance(time.Minute)
	_, err = src.Token(t.Context())
	require.NoError(t, err, "the last good token is kept")

	rm := e.collect(t)
	misses := sums(t, rm, "execauth.jwks.key_misses")
	assert.Equal(t, int64(2), misses["execauth.outcome=limited"], "inside the cooldown since the start's fetch")
	assert.Equal(t, map[string]int64{"execauth.outcome=retried,http.response.status_code=204": 1}, sums(t, rm, "execauth.client.retries"))
	assert.Equal(t, map[string]int64{
		"execauth.forced=true,execauth.outcome=changed": 1,
		"execauth.forced=false,execauth.outcome=error":  1,
	}, sums(t, rm, "execauth.client.file_reads"))

	// The key source fails, then serves a set with a symmetric key in it.
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("n") == "1" {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(`{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}]}`))
	}))
	t.Cleanup(stub.Close)
	for _, q := range []string{"0", "1"} {
		c, err := jwks.NewCache(t.Context(), jwks.CacheConfig{
			URLs: []string{stub.URL + "/keys?n=" + q}, Hooks: e.hooks, StartWithoutKeys: true, Logger: slog.New(slog.DiscardHandler),
		})
		require.NoError(t, err)
		c.Close()
	}
	rm = e.collect(t)
	fetches := sums(t, rm, "execauth.jwks.fetches")
	assert.Equal(t, int64(1), fetches["execauth.outcome=ok,http.response.status_code=200,url.full="+stub.URL+"/keys"])
	assert.Equal(t, int64(1), fetches["execauth.outcome=error,http.response.status_code=502,url.full="+stub.URL+"/keys"])
	assert.Equal(t, map[string]int64{"execauth.reason=unsupported_key,url.full=" + stub.URL + "/keys": 1}, sums(t, rm, "execauth.jwks.keys.skipped"))
	assertNoSecrets(t, e, rm, task.String())
}

// TestSpans: a verification span per token, under the request's span, with
// the times the hooks' clock gave; a span per fetch and per mint.
func TestSpans(t *testing.T) {
	t.Parallel()
	const step = time.Millisecond
	var n atomic.Int64
	base := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, func() time.Time { return base.Add(time.Duration(n.Add(1)) * step) })
	task := uuid.New()
	require.Equal(t, http.StatusOK, e.do(t, nil, http.MethodPatch, "/tasks/"+task.String()+"/run", e.iss.Workload(t, task)).StatusCode)
	require.Equal(t, http.StatusUnauthorized, e.do(t, nil, http.MethodPut, "/tasks/"+task.String()+"/heartbeat", e.iss.Execution(t, task, authtest.Expired())).StatusCode)

	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range e.spans.Ended() {
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	require.Len(t, byName["execauth.jwks.fetch"], 1)
	fetch := byName["execauth.jwks.fetch"][0]
	assert.Equal(t, step, fetch.EndTime().Sub(fetch.StartTime()))
	assert.Contains(t, fetch.Attributes(), attribute.String("url.full", e.iss.JWKSURL()))

	require.Len(t, byName["execauth.verify"], 2)
	requests := byName["request"]
	require.Len(t, requests, 2)
	for i, v := range byName["execauth.verify"] {
		assert.Equal(t, requests[i].SpanContext().SpanID(), v.Parent().SpanID(), "a child of the request's span")
		assert.Equal(t, step, v.EndTime().Sub(v.StartTime()))
	}
	admitted, refused := byName["execauth.verify"][0], byName["execauth.verify"][1]
	assert.ElementsMatch(t, []attribute.KeyValue{
		attribute.String("http.route", run), attribute.String("execauth.outcome", "admitted"),
		attribute.Bool("execauth.cache.hit", false), attribute.String("execauth.token.class", "workload"),
	}, admitted.Attributes())
	assert.ElementsMatch(t, []attribute.KeyValue{
		attribute.String("http.route", heartbeat), attribute.String("execauth.outcome", "rejected"),
		attribute.Bool("execauth.cache.hit", false), attribute.String("execauth.reason", "expired"),
		attribute.Int("http.response.status_code", 401),
	}, refused.Attributes())

	require.Len(t, byName["execauth.exchange"], 1)
	ex := byName["execauth.exchange"][0]
	assert.Equal(t, requests[0].SpanContext().SpanID(), ex.Parent().SpanID())
	assert.Contains(t, ex.Attributes(), attribute.String("execauth.outcome", "minted"))
	assertNoSecrets(t, e, e.collect(t), task.String())
}

// assertNoSecrets checks every attribute of every metric point and span for
// the subject, the kid, a token and the JWK Set URL's credentials.
func assertNoSecrets(t *testing.T, e *env, rm metricdata.ResourceMetrics, sub string) {
	t.Helper()
	forbidden := []string{sub, "pa55word", "s3cret", "user:", "api_key"}
	for _, k := range e.keys.PublicKeys() {
		forbidden = append(forbidden, k.ID())
	}
	check := func(where string, kv attribute.KeyValue) {
		v := kv.Value.Emit()
		for _, bad := range forbidden {
			assert.NotContains(t, v, bad, "%s: %s", where, kv.Key)
		}
		assert.NotRegexp(t, `[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`, v, "%s: %s holds a token", where, kv.Key)
		assert.NotContains(t, []string{"sub", "jti", "kid", "enduser.id"}, string(kv.Key))
	}
	seen := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, set := range pointSets(m) {
				for _, kv := range set.ToSlice() {
					check(m.Name, kv)
					seen++
				}
			}
		}
	}
	for _, s := range e.spans.Ended() {
		for _, kv := range s.Attributes() {
			check(s.Name(), kv)
			seen++
		}
		assert.NotContains(t, s.Status().Description, sub)
	}
	assert.Positive(t, seen)
}

// pointSets returns the attribute sets of m's data points.
func pointSets(m metricdata.Metrics) []attribute.Set {
	var out []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	}
	return out
}

// TestRevocationMetric: a token of a finished task is refused and counted.
func TestRevocationMetric(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	hooks, err := execotel.New(execotel.Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	require.NoError(t, err)
	clock := authtest.NewClock(t0)
	iss := authtest.NewIssuer(t, authtest.WithClock(clock))
	list, err := revoke.NewList(t.Context(), revoke.Config{Store: revoke.NewMemory(clock.Now), Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(list.Close)
	v := iss.Verifier(t, func(c *token.VerifierConfig) { c.Revocations, c.Hooks = list, hooks })
	task := uuid.New()
	raw := iss.Execution(t, task)
	_, err = v.Verify(t.Context(), string(raw))
	require.NoError(t, err)
	require.NoError(t, list.RevokeSubject(t.Context(), task.String(), clock.Now()))
	_, err = v.Verify(t.Context(), string(raw))
	require.ErrorIs(t, err, token.ErrRevoked)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	assert.Equal(t, map[string]int64{"execauth.cache.hit=false,execauth.outcome=revoked": 1}, sums(t, rm, "execauth.revocations"))
}
