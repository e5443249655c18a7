package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// buildFlags are the flags the replicas' binary is built with: -race too
// when the tests run with it (race_test.go).
var buildFlags []string

// buildCLI builds this command into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "execauth")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	args := append(append([]string{"build", "-o", bin}, buildFlags...), ".")
	out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// cliProcess runs the built command to its end and returns its stdout; it
// must succeed.
func cliProcess(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "execauth %v: %s", args, stderr.String())
	return strings.TrimSpace(string(out))
}

// replica is one `execauth serve` process.
type replica struct {
	name   string
	url    string
	cmd    *exec.Cmd
	stderr *testkit.Buffer
	exited chan struct{}
	err    error // set before exited is closed

	// Draining: no new request starts; inflight counts those under way.
	draining atomic.Bool
	inflight atomic.Int64
}

var listeningURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)

// startReplica starts `serve` on a free loopback port and waits until it
// listens.
func startReplica(t *testing.T, bin, name string, args ...string) *replica {
	t.Helper()
	r := &replica{name: name, stderr: &testkit.Buffer{}, exited: make(chan struct{})}
	r.cmd = exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	r.cmd.Stderr = r.stderr
	require.NoError(t, r.cmd.Start())
	go func() {
		r.err = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	})
	require.Eventually(t, func() bool {
		if m := listeningURL.FindStringSubmatch(r.stderr.String()); m != nil {
			r.url = m[1]
			return true
		}
		return false
	}, 30*time.Second, 5*time.Millisecond, "%s did not start: %s", name, r.stderr.String())
	return r
}

// acquire admits a request to r unless it drains; release ends it.
func (r *replica) acquire() bool {
	r.inflight.Add(1)
	if r.draining.Load() {
		r.inflight.Add(-1)
		return false
	}
	return true
}

func (r *replica) release() { r.inflight.Add(-1) }

// stop ends r with sig and waits for it.
func (r *replica) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(sig))
	select {
	case <-r.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop", r.name)
	}
}

// served returns the kids of r's JWK Set.
func (r *replica) served(client *http.Client) ([]string, error) {
	resp, err := client.Get(r.url + "/.well-known/jwks.json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	keys, skipped, err := jwks.ParseSet(body)
	if err == nil && len(skipped) > 0 {
		err = errors.Join(skipped...)
	}
	var kids []string
	for _, k := range keys {
		kids = append(kids, k.ID())
	}
	return kids, err
}

// kidOf reads the kid from a token's header, unverified: to account for
// which key signed what the run handed out.
func kidOf(raw string) string {
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "?"
	}
	var h struct {
		KID string `json:"kid"`
	}
	if json.Unmarshal(b, &h) != nil {
		return "?"
	}
	return h.KID
}

// waitUntil polls cond every few milliseconds for up to limit and returns
// how long it took to hold.
func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

// watch polls cond from now on, for up to 20s, in the background. The
// function it returns waits for the first time cond held, or fails.
func watch(t *testing.T, what string, cond func() bool) func() time.Time {
	t.Helper()
	held := make(chan time.Time, 1)
	go func() {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if cond() {
				held <- time.Now()
				return
			}
		}
		close(held)
	}()
	return func() time.Time {
		t.Helper()
		at, ok := <-held
		if !ok {
			t.Fatalf("%s: not within 20s", what)
		}
		return at
	}
}

// fleetRun is the shared state of workers going through the replicas.
type fleetRun struct {
	replicas []*replica
	client   *http.Client
	sched    *token.Issuer   // the scheduler: mints workload tokens from the key directory
	remote   *token.Verifier // another service: verifies through every replica's JWK Set
	start    time.Time

	requests, reissues, remoteVerified atomic.Int64

	mu        sync.Mutex
	statuses  map[int]int
	refusals  []string                  // a valid token refused, or a response not as expected
	issuedBy  map[string]map[string]int // replica -> kid -> tokens handed out
	remoteKID map[string]int            // kid -> tokens the remote verifier accepted
}

func (f *fleetRun) fail(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refusals = append(f.refusals, fmt.Sprintf("%6.2fs ", time.Since(f.start).Seconds())+fmt.Sprintf(format, args...))
}

// failures returns a copy of what went wrong so far.
func (f *fleetRun) failures() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.refusals)
}

// live returns the replicas that take requests.
func (f *fleetRun) live() []*replica {
	var out []*replica
	for _, r := range f.replicas {
		if !r.draining.Load() {
			out = append(out, r)
		}
	}
	return out
}

// issued returns how many tokens r handed out signed by kid.
func (f *fleetRun) issued(r *replica, kid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issuedBy[r.name][kid]
}

func (f *fleetRun) verifiedRemotely(kid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.remoteKID[kid]
}

// call sends a request with tok to r and checks the status. It returns
// the token to use next (the one handed back, if any) and whether the call
// went as expected; false without a failure when r is nil or drains.
func (f *fleetRun) call(r *replica, method, path, tok, body string, want int) (string, bool) {
	if r == nil || !r.acquire() {
		return tok, false
	}
	defer r.release()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if err != nil {
		f.fail("%s %s: %v", method, path, err)
		return tok, false
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := f.client.Do(req)
	if err != nil {
		f.fail("%s %s on %s: %v", method, path, r.name, err)
		return tok, false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	f.requests.Add(1)
	f.mu.Lock()
	f.statuses[resp.StatusCode]++
	f.mu.Unlock()
	if resp.StatusCode != want {
		f.fail("%s %s on %s: %d, want %d (token of key %s; %s)", method, path, r.name, resp.StatusCode, want,
			kidOf(tok), resp.Header.Get("WWW-Authenticate"))
		return tok, false
	}
	fresh := resp.Header.Get(refresh.DefaultHeader)
	if fresh == "" {
		f.fail("%s %s on %s: no token handed back (execution tokens of 5s are always due)", method, path, r.name)
		return tok, false
	}
	f.reissues.Add(1)
	kid := kidOf(fresh)
	_, err = f.remote.Verify(context.Background(), fresh)
	f.mu.Lock()
	f.issuedBy[r.name][kid]++
	if err == nil {
		f.remoteKID[kid]++
	}
	f.mu.Unlock()
	if err != nil {
		f.fail("remote verifier refused a token %s handed out (key %s): %v", r.name, kid, err)
		return fresh, false
	}
	f.remoteVerified.Add(1)
	return fresh, true
}

// worker runs tasks until stop: a workload token from the scheduler, then
// the run exchange, three heartbeats and a connection read, each on the
// next live replica in turn (they share their task table through Redis), so
// that every replica verifies and reissues every chain. Every call hands
// back a token signed by the active key of the replica that answered.
func (f *fleetRun) worker(n int, stop <-chan struct{}) {
	const maxTasks = 5000
	turn := n
	next := func() *replica {
		live := f.live()
		if len(live) == 0 {
			return nil
		}
		turn++
		return live[turn%len(live)]
	}
	for range maxTasks {
		select {
		case <-stop:
			return
		default:
		}
		id := uuid.New()
		wl, err := f.sched.Workload(id)
		if err != nil {
			f.fail("scheduler: %v", err)
			return
		}
		r := next()
		if r == nil {
			return
		}
		tok, ok := f.call(r, http.MethodPatch, taskPath(id.String(), "run"), string(wl),
			fmt.Sprintf(`{"hostname":"fleet-%d","pid":%d}`, n, 100+n), http.StatusOK)
		for beat := 0; ok && beat < 3; beat++ {
			tok, ok = f.call(next(), http.MethodPut, taskPath(id.String(), "heartbeat"), tok, "", http.StatusNoContent)
		}
		if ok {
			_, _ = f.call(next(), http.MethodGet, "/connections/"+demoConn, tok, "", http.StatusOK)
		}
	}
}

// probe sends tok to r's connections route and returns the status.
func (f *fleetRun) probe(r *replica, tok string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, r.url+"/connections/"+demoConn, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// refusedAt polls every live replica with tok until it refuses it (401),
// and returns when each did. A refusal before removing is closed, or any
// status but 200 and 401, fails the run.
func (f *fleetRun) refusedAt(tok string, removing <-chan struct{}) map[string]time.Time {
	out := map[string]time.Time{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range f.live() {
		wg.Go(func() {
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				status, err := f.probe(r, tok)
				at := time.Now()
				switch {
				case err != nil:
					f.fail("probe on %s: %v", r.name, err)
					return
				case status == http.StatusUnauthorized:
					select {
					case <-removing:
					default:
						f.fail("probe refused on %s before the key was removed", r.name)
					}
					mu.Lock()
					out[r.name] = at
					mu.Unlock()
					return
				case status != http.StatusOK:
					f.fail("probe on %s: status %d", r.name, status)
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
			f.fail("probe still accepted on %s 10s later", r.name)
		})
	}
	wg.Wait()
	return out
}

// errorsOnlyFrom reports whether every error matches ErrKeysUnavailable
// and names url.
func errorsOnlyFrom(errs []error, url string) bool {
	return !slices.ContainsFunc(errs, func(err error) bool {
		return !errors.Is(err, jwks.ErrKeysUnavailable) || !strings.Contains(err.Error(), url)
	})
}
