package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

const (
	soakWorkers    = 16
	soakProcessors = 4
	// The shared clock runs soakSpeed times as fast as real time, moved every
	// soakTick by the real time that passed, but never more than soakMaxStep
	// at once: a late ticker slows the clock rather than jumping it.
	soakSpeed   = 10
	soakTick    = 10 * time.Millisecond
	soakMaxStep = time.Second
	// soakBeat is the heartbeat interval, in clock time, of a task waiting
	// for its reissue.
	soakBeat = 4 * time.Second
	// Real-time pacing of the trusted component's key and file rotations.
	soakRotateEvery    = 300 * time.Millisecond
	soakProvisionEvery = 100 * time.Millisecond
	// Iteration caps per client: a fast machine stops at these before the
	// wall-time bound.
	soakMaxTasks = 40
	soakMaxCalls = 4000
)

// soakTTL keeps execution tokens just above the 30s minimum reissue window:
// a token is due 10s (1s of real time) after its iat, and a worker would
// have to stall 3s of real time between two heartbeats for it to expire.
var soakTTL = token.Lifetimes{Workload: 10 * time.Minute, Execution: 40 * time.Second, Processor: 90 * time.Second}

// TestSoak runs the reference server over real HTTP with many clients doing
// the whole flow at once, for 15s (3s with -short), and then checks every
// request's status and every token handed out.
//
// What rotates where: the server's own Ed25519 key signs the workload tokens
// (it exchanges only tokens of keys it holds) and every execution token it
// hands out, and does not rotate. A trusted component — a jwks.Keyring
// served by jwks.Handler on its own httptest server, trusted by URL — signs
// the processor tokens and rotates its key every 300ms: it publishes the next
// key, makes the server's jwks.Cache refresh, and only then activates it, so
// that the server never meets an unknown kid (one JWK Set fetch per
// rotation, and no other, proves it); replaced keys retire after the
// longest lifetime plus the largest leeway, as token.NewIssuer requires. A
// provisioner rewrites every processor's token file with WriteTokenFile
// every 100ms while the processors read them through FileSource.
//
// Workers loop: a new task, its workload token, the run exchange through
// refresh.Transport, heartbeats, and for every third task heartbeats until a
// near-expiry reissue arrives; every fourth task also probes that its
// workload token cannot run the task again (409) or heartbeat (403). Time is
// a shared authtest.Clock running fast, so reissues come without waiting.
//
// Not parallel: it keeps both cores busy, and would stretch the timing of
// the package's other tests.
func TestSoak(t *testing.T) {
	bound := 15 * time.Second
	if testing.Short() {
		bound = 3 * time.Second
	}
	clock := authtest.NewClock(t0)
	s := &soak{clock: clock, sent: map[int]int{}, want: map[int]int{}, observed: map[string]int{}}
	s.stop, s.halt = context.WithTimeout(context.Background(), bound)
	defer s.halt()

	first, err := jwks.Generate(jwks.ES256)
	require.NoError(t, err)
	ring, err := jwks.NewKeyring(jwks.KeyringConfig{
		Active: first, RetireAfter: soakTTL.Longest() + token.MaxLeeway, Now: clock.Now,
	})
	require.NoError(t, err)
	s.external = []jwks.Key{first.Public()}
	ext, err := token.NewIssuer(token.IssuerConfig{Keys: ring, Issuer: testIss, Audience: []string{testAud}, TTL: soakTTL, Now: clock.Now})
	require.NoError(t, err)
	var fetches atomic.Int64
	publish := jwks.Handler(ring, 0)
	trusted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		publish.ServeHTTP(w, r)
	}))
	t.Cleanup(trusted.Close)

	key := testkit.Seeded(t, "", 9)
	logs := &testkit.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s.srv, err = newServer(t.Context(), serverConfig{
		key: key, issuer: testIss, audience: []string{testAud}, trusted: []string{trusted.URL + "/jwks.json"},
		ttl: soakTTL, now: clock.Now, log: log, observe: s.observe,
	})
	require.NoError(t, err)
	t.Cleanup(s.srv.Close)
	hs := httptest.NewServer(s.srv)
	t.Cleanup(hs.Close)
	s.url = hs.URL
	conns := &http.Transport{MaxIdleConnsPerHost: soakWorkers + soakProcessors}
	t.Cleanup(conns.CloseIdleConnections)
	s.conns = conns

	dir := t.TempDir()
	sources := make([]*refresh.FileSource, soakProcessors)
	for p := range sources {
		path := filepath.Join(dir, fmt.Sprintf("processor-%d.token", p))
		require.NoError(t, s.provision(ext, p, path))
		sources[p], err = refresh.NewFileSource(refresh.FileSourceConfig{
			Path: path, CacheFor: 2 * time.Second, Logger: log, Now: clock.Now,
		})
		require.NoError(t, err)
	}

	// The clock, the key rotation and the file rotation run until every
	// client is done: a worker may wait for a reissue, a processor for a
	// rotated file.
	quiet := make(chan struct{})
	var background, clients sync.WaitGroup
	last := time.Now()
	background.Go(func() {
		every(quiet, soakTick, func() {
			now := time.Now()
			clock.Advance(min(now.Sub(last)*soakSpeed, soakMaxStep))
			last = now
		})
	})
	background.Go(func() { every(quiet, soakRotateEvery, func() { s.rotate(ring) }) })
	background.Go(func() { every(quiet, soakProvisionEvery, func() { s.provisionAll(ext, dir) }) })
	start := time.Now()
	for n := range soakWorkers {
		clients.Go(func() {
			reissued := false
			for i := 0; i < soakMaxTasks && !s.stopped(); i++ {
				reissued = s.task(n, i, !reissued) || reissued
			}
		})
	}
	for _, src := range sources {
		clients.Go(func() { s.processor(src) })
	}
	clients.Wait()
	close(quiet)
	background.Wait()
	took := time.Since(start)

	requests := 0
	for _, n := range s.sent {
		requests += n
	}
	t.Logf("soak: %d requests in %v (clock +%v): %d tasks, %d reissues, %d key rotations (%d keys retired), %d file rotations, %d tokens issued",
		requests, took.Round(time.Millisecond), clock.Now().Sub(t0).Round(time.Second), s.tasks.Load(), s.reissues.Load(), s.rotations.Load(),
		len(s.external)-len(ring.PublicKeys()), s.fileRotations.Load(), len(s.issued))

	assert.Empty(t, s.failures, "unexpected failures")
	assert.Equal(t, s.want, s.sent, "statuses the server answered, against those the clients expected (a hidden 401 retry shows here)")
	assert.Equal(t, 1+s.rotations.Load(), fetches.Load(), "one JWK Set fetch at start and one per rotation: the server never met an unknown kid")
	assert.Empty(t, logs.String(), "warnings or errors logged")
	require.GreaterOrEqual(t, s.reissues.Load(), int64(soakWorkers), "every worker has a reissue")
	require.Positive(t, s.rotations.Load(), "no key rotation happened")
	require.Positive(t, s.fileRotations.Load(), "no file rotation happened")
	s.checkIssued(t, key)
}

// soak is the shared state of one soak run. Its maps and slices are guarded
// by mu; the counters are atomic.
type soak struct {
	clock *authtest.Clock
	srv   *server
	url   string
	conns http.RoundTripper
	stop  context.Context // done when the clients wind down
	halt  context.CancelFunc

	tasks, reissues, rotations, fileRotations atomic.Int64

	mu       sync.Mutex
	sent     map[int]int    // status -> responses the server sent
	want     map[int]int    // status -> requests the clients expected it for
	observed map[string]int // jti -> requests the server authenticated with it
	issued   []issued       // every token handed out, in order
	external []jwks.Key     // every key of the trusted component, retired ones too
	failures []string
}

// issued is a token the run handed out and what it must verify as.
type issued struct {
	raw   token.Raw
	class scope.Scope
	sub   string
}

func (s *soak) stopped() bool { return s.stop.Err() != nil }

// every runs f at once and then every d of real time until quiet is closed.
func every(quiet <-chan struct{}, d time.Duration, f func()) {
	for {
		f()
		select {
		case <-quiet:
			return
		case <-time.After(d):
		}
	}
}

// fail records an unexpected outcome; many of them end the run early.
func (s *soak) fail(format string, args ...any) {
	s.mu.Lock()
	s.failures = append(s.failures, fmt.Sprintf(format, args...))
	n := len(s.failures)
	s.mu.Unlock()
	if n >= 20 {
		s.halt()
	}
}

func (s *soak) record(i issued) {
	s.mu.Lock()
	s.issued = append(s.issued, i)
	s.mu.Unlock()
}

func (s *soak) observe(c *token.Claims) {
	s.mu.Lock()
	s.observed[c.ID]++
	s.mu.Unlock()
}

// RoundTrip makes the soak the base of every client: it counts every
// response the server sent, the retries inside a refresh.Transport included,
// and records every token handed back.
func (s *soak) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.conns.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.sent[resp.StatusCode]++
	s.mu.Unlock()
	handed := resp.Header.Values(refresh.DefaultHeader)
	rest, onTask := strings.CutPrefix(req.URL.Path, "/task-instances/")
	task, _, _ := strings.Cut(rest, "/")
	switch {
	case len(handed) == 1 && onTask:
		s.record(issued{raw: token.Raw(handed[0]), class: scope.Execution, sub: task})
	case len(handed) > 0:
		s.fail("%s %s: %d tokens handed back", req.Method, req.URL.Path, len(handed))
	}
	return resp, nil
}

// call sends a request through rt, with auth as the bearer token if set, and
// checks that the server answered want. It returns the response's header, or
// nil after a failure.
func (s *soak) call(rt http.RoundTripper, auth token.Raw, method, path, body string, want int) http.Header {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body) // sets GetBody, so a Transport may replay it
	}
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, rd)
	if err != nil {
		s.fail("%s %s: %v", method, path, err)
		return nil
	}
	if auth != "" {
		req.Header.Set("Authorization", bearer(auth))
	}
	s.mu.Lock()
	s.want[want]++
	s.mu.Unlock()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		s.fail("%s %s: %v", method, path, err)
		return nil
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != want {
		s.fail("%s %s: status %d, want %d (%s)", method, path, resp.StatusCode, want, resp.Header.Get("WWW-Authenticate"))
		return nil
	}
	return resp.Header
}

// task takes one task through the flow: workload token, run exchange,
// heartbeats, a reissue if i%3 == 0, probes if i%4 == 0. It ends after a
// heartbeat that brought no new token, so every token it received was sent.
// A patient task (of a worker without a reissue yet) waits for its reissue
// even after the stop, so that every worker has one. It reports whether a
// reissue came.
func (s *soak) task(n, i int, patient bool) bool {
	s.tasks.Add(1)
	id := uuid.New()
	workload, err := s.srv.issuer.Workload(id)
	if err != nil {
		s.fail("workload token: %v", err)
		return false
	}
	s.record(issued{raw: workload, class: scope.Workload, sub: id.String()})
	tr, err := refresh.NewTransport(refresh.TransportConfig{Base: s, Source: refresh.StaticSource(workload), BaseURL: s.url})
	if err != nil {
		s.fail("transport: %v", err)
		return false
	}
	run, beat := taskPath(id.String(), "run"), taskPath(id.String(), "heartbeat")
	h := s.call(tr, "", http.MethodPatch, run, fmt.Sprintf(`{"hostname":"soak-%d","pid":%d}`, n, 1000+n), http.StatusOK)
	if h == nil {
		return false
	}
	cur := h.Get(refresh.DefaultHeader)
	if cur == "" {
		s.fail("run: no execution token handed out")
		return false
	}
	if i%4 == 0 {
		s.call(s, workload, http.MethodPatch, run, fmt.Sprintf(`{"hostname":"soak-%d","pid":%d}`, n, 2000+n), http.StatusConflict)
		s.call(s, workload, http.MethodPut, beat, "", http.StatusForbidden)
	}
	wantReissue, reissued := i%3 == 0, false
	for beats := 1; ; beats++ {
		h := s.call(tr, "", http.MethodPut, beat, "", http.StatusNoContent)
		if h == nil {
			return reissued
		}
		fresh := h.Get(refresh.DefaultHeader)
		if fresh != "" {
			s.reissues.Add(1)
			cur, reissued = fresh, true
		}
		switch {
		case beats >= 3 && fresh == "" && (reissued || !wantReissue || !patient && s.stopped()):
			return reissued
		case beats > 1000:
			s.fail("task still heartbeating after %d beats", beats)
			return reissued
		case wantReissue && !reissued:
			s.waitBeatOrDue(cur, patient)
		default:
			time.Sleep(time.Millisecond)
		}
	}
}

// waitBeatOrDue waits until the next heartbeat (soakBeat on the clock) or
// until raw is due for reissue, whichever is first, or, unless patient,
// until the stop. The clock runs until every task has ended; a clock stuck
// for 30s of real time is a failure.
func (s *soak) waitBeatOrDue(raw string, patient bool) {
	p, err := peek(token.Raw(raw))
	if err != nil {
		s.fail("execution token: %v", err)
		return
	}
	life := time.Duration(p.Exp-p.Iat) * time.Second
	due := time.Unix(p.Exp, 0).Add(-max(life/5, refresh.MinWindow))
	until := s.clock.Now().Add(soakBeat)
	if due.Before(until) {
		until = due
	}
	stuck := time.Now().Add(30 * time.Second)
	for s.clock.Now().Before(until) && (patient || !s.stopped()) {
		if time.Now().After(stuck) {
			s.fail("the clock stopped")
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// processor reads connections with its file's token, and now and then
// probes that a processor token cannot heartbeat a task (403). It goes on
// after the stop until it has sent a token from a rotated file.
func (s *soak) processor(src *refresh.FileSource) {
	ctx := context.Background()
	tr, err := refresh.NewTransport(refresh.TransportConfig{Base: s, Source: src, BaseURL: s.url})
	if err != nil {
		s.fail("transport: %v", err)
		return
	}
	first, err := src.Token(ctx)
	if err != nil {
		s.fail("file source: %v", err)
		return
	}
	rotated, giveUp := false, time.Now().Add(time.Minute)
	for i := 0; i < soakMaxCalls && !(rotated && s.stopped()); i++ {
		if time.Now().After(giveUp) {
			s.fail("no rotated processor token within a minute")
			return
		}
		// The call below sends this token or a newer one.
		cur, err := src.Token(ctx)
		if err != nil {
			s.fail("file source: %v", err)
			return
		}
		rotated = rotated || cur != first
		s.call(tr, "", http.MethodGet, "/connections/"+demoConn, "", http.StatusOK)
		if i%25 == 0 {
			s.call(tr, "", http.MethodPut, taskPath(uuid.NewString(), "heartbeat"), "", http.StatusForbidden)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// provision writes a new token of processor p, signed by the trusted
// component's active key, to path.
func (s *soak) provision(ext *token.Issuer, p int, path string) error {
	name := fmt.Sprintf("processor-%d", p)
	raw, err := ext.Processor(name)
	if err != nil {
		return err
	}
	if err := refresh.WriteTokenFile(path, raw); err != nil {
		return err
	}
	s.record(issued{raw: raw, class: scope.Processor, sub: name})
	return nil
}

// provisionAll rotates every processor's token file.
func (s *soak) provisionAll(ext *token.Issuer, dir string) {
	for p := range soakProcessors {
		if err := s.provision(ext, p, filepath.Join(dir, fmt.Sprintf("processor-%d.token", p))); err != nil {
			s.fail("provision: %v", err)
		}
	}
	s.fileRotations.Add(1)
}

// rotate rotates the trusted component's key with pre-publication: the
// server's cache must hold the next key before it signs.
func (s *soak) rotate(ring *jwks.Keyring) {
	next, err := jwks.Generate(jwks.ES256)
	if err == nil {
		err = ring.Publish(next)
	}
	if err == nil {
		err = s.srv.keys.Refresh(context.Background())
	}
	if err != nil {
		s.fail("rotation: %v", err)
		return
	}
	known := slices.ContainsFunc(s.srv.keys.PublicKeys(), func(k jwks.Key) bool { return k.ID() == next.ID() })
	if !known {
		s.fail("rotation: the refreshed server does not know the published key")
		return
	}
	if err := ring.Rotate(next); err != nil {
		s.fail("rotation: %v", err)
		return
	}
	s.mu.Lock()
	s.external = append(s.external, next.Public())
	s.mu.Unlock()
	s.rotations.Add(1)
}

// payload is what peek reads of a token without verifying it.
type payload struct {
	ID  string `json:"jti"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
}

// peek decodes the payload of one of the run's own tokens, unverified: to
// schedule a heartbeat and to pick the time to verify it at.
func peek(raw token.Raw) (payload, error) {
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 {
		return payload{}, errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return payload{}, err
	}
	var p payload
	err = json.Unmarshal(b, &p)
	return p, err
}

// checkIssued asserts that every token handed out is unique by jti and by
// raw string, verifies at its own iat+1s with the keys that signed it (key
// for the server's, the trusted component's keys for processor tokens) as
// what it was handed out for, and that the server authenticated only these
// tokens: every workload and execution token at least once (so each swap
// happened) and at least two of each processor's (so file rotation was
// picked up).
func (s *soak) checkIssued(t *testing.T, key *jwks.SigningKey) {
	t.Helper()
	var at time.Time
	verifier := func(keys ...jwks.Key) *token.Verifier {
		st, err := jwks.NewStatic(keys...)
		require.NoError(t, err)
		v, err := token.NewVerifier(token.VerifierConfig{
			Keys: st, Issuer: testIss, Audience: []string{testAud}, Now: func() time.Time { return at },
		})
		require.NoError(t, err)
		return v
	}
	own, external := verifier(key.Public()), verifier(s.external...)

	var bad []string
	raws, jtis := map[token.Raw]bool{}, map[string]issued{}
	chains := map[string]time.Time{} // task -> auth_time of its execution tokens
	procSeen := map[string]int{}     // processor -> its tokens the server saw
	for n, is := range s.issued {
		what := fmt.Sprintf("token %d (%s for %s)", n, is.class, is.sub)
		p, err := peek(is.raw)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", what, err))
			continue
		}
		if raws[is.raw] || jtis[p.ID].raw != "" {
			bad = append(bad, what+": handed out twice")
		}
		raws[is.raw], jtis[p.ID] = true, is
		v := own
		if is.class == scope.Processor {
			v = external
		}
		at = time.Unix(p.Iat, 0).Add(time.Second)
		c, err := v.Verify(context.Background(), string(is.raw))
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s: %v", what, err))
			continue
		case c.Class() != is.class || c.Subject != is.sub:
			bad = append(bad, fmt.Sprintf("%s: verified as %s for %s", what, c.Class(), c.Subject))
		}
		seen := s.observed[c.ID]
		switch is.class {
		case scope.Processor:
			procSeen[is.sub] += min(seen, 1)
			continue
		case scope.Execution:
			if first, ok := chains[is.sub]; !ok {
				chains[is.sub] = c.AuthTime
			} else if !c.AuthTime.Equal(first) {
				bad = append(bad, what+": auth_time differs within its chain")
			}
		}
		if seen == 0 {
			bad = append(bad, what+": never sent to the server")
		}
	}
	for jti := range s.observed {
		if jtis[jti].raw == "" {
			bad = append(bad, "the server authenticated a token nobody handed out")
		}
	}
	assert.Empty(t, bad)
	require.Len(t, procSeen, soakProcessors)
	for name, seen := range procSeen {
		assert.GreaterOrEqual(t, seen, 2, "%s never picked up a rotated file", name)
	}
}
