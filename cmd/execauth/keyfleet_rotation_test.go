package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

const (
	fleetReplicas = 3
	fleetWorkers  = 6
	fleetReload   = 200 * time.Millisecond // serve -reload
	fleetRefresh  = 300 * time.Millisecond // the remote verifier's RefreshInterval
	// fleetTTL is the lifetime of every token of the run, workload and
	// execution: well inside the reissue window, so every call hands back a
	// token signed by the replica's active key, and short, so that a
	// replaced key can retire within the test.
	fleetTTL = 5 * time.Second
	// fleetRetire is the -retire-after of an activation: the longest token
	// lifetime, plus the verifiers' leeway, plus one reload interval (a
	// replica signs with the replaced key until it reads the activation),
	// plus a second for the retire time's rounding.
	fleetRetire = fleetTTL + token.DefaultLeeway + fleetReload + time.Second
)

// TestFleetRotation is the rotation soak with real processes: three
// `execauth serve -keys DIR -reload 200ms` replicas share one key directory
// (and, through Redis, their task table), workers run tasks through all of
// them (each call of a task — run exchange, heartbeats, a connection read —
// on the next replica, with a reissue on every call), a scheduler mints
// workload tokens from the same directory, and another service verifies
// every token handed out through a jwks.Cache of all three JWK Set URLs.
// Meanwhile the test, as an operator, rotates with the CLI:
//
//  1. keys add K2; wait until every replica and the remote verifier know it;
//     keys activate K2 (K1 retires); wait until K1's retire time, when every
//     replica drops it by the clock; keys remove K1. No valid token may be
//     refused at any point.
//  2. Emergency removal: a published key P signs a probe; keys remove P;
//     every replica must refuse the probe within one reload interval (the
//     latency is measured), the remote verifier within its refresh.
//  3. One replica is killed; the workers keep to the other two, and the
//     remote verifier, which still lists the dead URL, goes on verifying
//     through a second rotation (K2 to K3).
//
// The replicas are built with -race when the tests are, and must not report
// a race.
func TestFleetRotation(t *testing.T) {
	bin := buildCLI(t)
	dir := filepath.Join(t.TempDir(), "keys")
	k1 := cliProcess(t, bin, "keys", "init", "-dir", dir, "-alg", "ES256")

	f := &fleetRun{
		client:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * fleetWorkers}, Timeout: 10 * time.Second},
		statuses: map[int]int{}, issuedBy: map[string]map[string]int{}, remoteKID: map[string]int{},
	}
	t.Cleanup(f.client.CloseIdleConnections)
	rds := startRedis(t) // the replicas share their task table, so any of them serves any task
	for i := range fleetReplicas {
		r := startReplica(t, bin, fmt.Sprintf("replica-%d", i+1), "-keys", dir, "-reload", fleetReload.String(),
			"-ttl", fleetTTL.String(), "-iss", testIss, "-aud", testAud, "-redis", "redis://"+rds.addr()+"/0")
		f.replicas = append(f.replicas, r)
		f.issuedBy[r.name] = map[string]int{}
	}

	// The scheduler reads the directory like a replica.
	var schedErrs testkit.Errors
	sched, err := jwks.OpenDir(t.Context(), jwks.DirConfig{Path: dir, Reload: fleetReload, Logger: testkit.ErrorLogger(schedErrs.Add)})
	require.NoError(t, err)
	t.Cleanup(sched.Close)
	f.sched, err = token.NewIssuer(token.IssuerConfig{
		Keys: sched, Issuer: testIss, Audience: []string{testAud}, TTL: token.Lifetimes{Workload: fleetTTL},
	})
	require.NoError(t, err)

	// Another service verifies through every replica's JWK Set.
	var remoteErrs testkit.Errors
	var urls []string
	for _, r := range f.replicas {
		urls = append(urls, r.url+"/.well-known/jwks.json")
	}
	cache, err := jwks.NewCache(t.Context(), jwks.CacheConfig{URLs: urls, RefreshInterval: fleetRefresh, Logger: testkit.ErrorLogger(remoteErrs.Add)})
	require.NoError(t, err)
	t.Cleanup(cache.Close)
	f.remote, err = token.NewVerifier(token.VerifierConfig{Keys: cache, Issuer: testIss, Audience: []string{testAud}})
	require.NoError(t, err)
	remoteKnows := func(kid string) bool {
		return slices.ContainsFunc(cache.PublicKeys(), func(k jwks.Key) bool { return k.ID() == kid })
	}
	everyReplicaServes := func(want func(kids []string) bool) func() bool {
		return func() bool {
			for _, r := range f.live() {
				if kids, err := r.served(f.client); err != nil || !want(kids) {
					return false
				}
			}
			return true
		}
	}
	with := func(kid string) func([]string) bool {
		return func(kids []string) bool { return slices.Contains(kids, kid) }
	}
	without := func(kid string) func([]string) bool {
		return func(kids []string) bool { return !slices.Contains(kids, kid) }
	}
	signing := func(kid string) func() bool {
		return func() bool {
			for _, r := range f.live() {
				if f.issued(r, kid) == 0 {
					return false
				}
			}
			return true
		}
	}

	f.start = time.Now()
	stop := make(chan struct{})
	var workers sync.WaitGroup
	for n := range fleetWorkers {
		workers.Go(func() { f.worker(n, stop) })
	}
	stopWorkers := sync.OnceFunc(func() {
		close(stop)
		workers.Wait()
	})
	t.Cleanup(stopWorkers)
	time.Sleep(time.Second) // work on K1 alone for a while
	require.Empty(t, f.failures(), "before any rotation")

	// 1. Publish, activate, retire, remove.
	replaced := manifestReplaced(t, dir)
	served := watch(t, "a second key served by every replica", everyReplicaServes(func(kids []string) bool { return len(kids) == 2 }))
	k2 := cliProcess(t, bin, "keys", "add", "-dir", dir)
	publishSeen := served().Sub(replaced())
	waitUntil(t, "K2 served by every replica", 10*time.Second, everyReplicaServes(with(k2)))
	waitUntil(t, "K2 known to the remote verifier", 10*time.Second, func() bool { return remoteKnows(k2) })
	waitUntil(t, "K2 known to the scheduler", 10*time.Second, func() bool { return sched.Holds(k2) })
	replaced = manifestReplaced(t, dir)
	signs := watch(t, "every replica signing with K2", signing(k2))
	cliProcess(t, bin, "keys", "activate", "-dir", dir, "-kid", k2, "-retire-after", fleetRetire.String())
	activated := replaced()
	activationSeen := signs().Sub(activated)
	time.Sleep(time.Until(activated.Add(fleetRetire)))
	waitUntil(t, "K1 dropped by every replica at its retire time", 10*time.Second, everyReplicaServes(without(k1)))
	// Every replica reads the manifest without K1 before the next change:
	// two changes within one reload interval are read as one, and the count
	// of loads at the end expects each change read on its own.
	loads := func(r *replica) int { return strings.Count(r.stderr.String(), "jwks: key directory loaded") }
	loadsBefore := map[*replica]int{}
	for _, r := range f.live() {
		loadsBefore[r] = loads(r)
	}
	cliProcess(t, bin, "keys", "remove", "-dir", dir, "-kid", k1)
	waitUntil(t, "every replica read the manifest without K1", 10*time.Second, func() bool {
		for _, r := range f.live() {
			if loads(r) <= loadsBefore[r] {
				return false
			}
		}
		return true
	})
	require.Empty(t, f.failures(), "no valid token refused through the rotation")

	// 2. Emergency removal of a key whose token is still valid.
	p := cliProcess(t, bin, "keys", "add", "-dir", dir)
	waitUntil(t, "P served by every replica", 10*time.Second, everyReplicaServes(with(p)))
	waitUntil(t, "P known to the remote verifier", 10*time.Second, func() bool { return remoteKnows(p) })
	pKey, err := jwks.ReadSigningKey(filepath.Join(dir, p+".pem"), p, "")
	require.NoError(t, err)
	pIss, err := token.NewIssuer(token.IssuerConfig{Keys: pKey, Issuer: testIss, Audience: []string{testAud}})
	require.NoError(t, err)
	probe, err := pIss.Processor("probe")
	require.NoError(t, err)
	_, err = f.remote.Verify(t.Context(), string(probe))
	require.NoError(t, err)
	removing := make(chan struct{})
	var refused map[string]time.Time
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		refused = f.refusedAt(string(probe), removing)
	}()
	time.Sleep(50 * time.Millisecond) // every poller has seen the probe accepted
	replaced = manifestReplaced(t, dir)
	remoteRefused := watch(t, "the remote verifier refusing P", func() bool {
		_, err := f.remote.Verify(context.Background(), string(probe))
		return err != nil
	})
	close(removing)
	cliProcess(t, bin, "keys", "remove", "-dir", dir, "-kid", p)
	removed := replaced()
	remoteRefusal := remoteRefused().Sub(removed)
	<-polled
	require.Len(t, refused, fleetReplicas, "every replica refused the probe")
	var latencies []string
	var worst time.Duration
	for _, r := range f.replicas {
		l := refused[r.name].Sub(removed)
		worst = max(worst, l)
		latencies = append(latencies, fmt.Sprintf("%s %v", r.name, l.Round(time.Millisecond)))
	}
	// One reload interval, plus as much again for scheduling on a loaded
	// machine (the replicas, the workers and -race share two cores here).
	assert.LessOrEqual(t, worst, 2*fleetReload, "a removed key is refused within one reload interval: %v", latencies)

	// 3. Lose a replica, then rotate again.
	lost := f.replicas[fleetReplicas-1]
	lost.draining.Store(true)
	waitUntil(t, "requests to the lost replica ended", 10*time.Second, func() bool { return lost.inflight.Load() == 0 })
	lost.stop(t, os.Kill)
	remoteBefore := f.remoteVerified.Load()
	k3 := cliProcess(t, bin, "keys", "add", "-dir", dir, "-alg", "EdDSA")
	waitUntil(t, "K3 served by the live replicas", 10*time.Second, everyReplicaServes(with(k3)))
	waitUntil(t, "K3 known to the remote verifier", 10*time.Second, func() bool { return remoteKnows(k3) })
	waitUntil(t, "K3 known to the scheduler", 10*time.Second, func() bool { return sched.Holds(k3) })
	cliProcess(t, bin, "keys", "activate", "-dir", dir, "-kid", k3)
	waitUntil(t, "the live replicas signing with K3", 10*time.Second, signing(k3))
	waitUntil(t, "the remote verifier accepting K3 tokens", 10*time.Second, func() bool { return f.verifiedRemotely(k3) > 0 })
	time.Sleep(500 * time.Millisecond)
	for _, r := range f.live() {
		kids, err := r.served(f.client)
		require.NoError(t, err)
		assert.Equal(t, []string{k3, k2}, kids, "%s serves the active key, then the retiring one; removed keys are gone", r.name)
	}
	stopWorkers()
	assert.Greater(t, f.remoteVerified.Load(), remoteBefore, "the remote verifier kept working without a replica")

	cache.Close() // before the replicas stop: its reports end here
	assert.True(t, errorsOnlyFrom(remoteErrs.All(), lost.url), "the remote verifier reported only the lost replica: %v", remoteErrs.All())
	for _, r := range f.replicas[:fleetReplicas-1] {
		r.stop(t, syscall.SIGTERM)
		assert.NoError(t, r.err, "%s exits cleanly: %s", r.name, r.stderr.String())
	}
	for _, r := range f.replicas {
		logs := r.stderr.String()
		assert.NotContains(t, logs, "DATA RACE", r.name)
		assert.NotContains(t, logs, "not loaded", "%s: every read of the directory succeeded", r.name)
		assert.GreaterOrEqual(t, strings.Count(logs, "jwks: key directory loaded"), 6, "%s followed every change", r.name)
	}
	assert.Empty(t, f.failures())
	assert.Empty(t, schedErrs.All(), "every read of the scheduler succeeded")

	f.mu.Lock()
	defer f.mu.Unlock()
	t.Logf("fleet: %d requests in %v through %d replicas (%d lost midway), statuses %v; %d tokens handed out, each verified by the remote verifier; "+
		"2 rotations (K1→K2 with retire and remove, K2→K3 with a replica down) and 1 emergency removal; refusals of valid tokens: %d",
		f.requests.Load(), time.Since(f.start).Round(time.Millisecond), fleetReplicas, 1, f.statuses, f.reissues.Load(), len(f.refusals))
	t.Logf("fleet: after a new manifest took the old one's place (reload %v): a published key served by every replica within %v, an activated key signing on every replica within %v, "+
		"a removed key refused by %v, by the remote verifier within %v (refresh %v)",
		fleetReload, publishSeen.Round(time.Millisecond), activationSeen.Round(time.Millisecond), latencies, remoteRefusal.Round(time.Millisecond), fleetRefresh)
}

// manifestReplaced watches the manifest of dir from now on; the function
// it returns waits for the moment a new manifest took its place: when a
// change reached the directory, from which the replicas' latency counts
// (the CLI process that made it may run on for a while).
func manifestReplaced(t *testing.T, dir string) func() time.Time {
	t.Helper()
	path := filepath.Join(dir, jwks.ManifestName)
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	return watch(t, "a new manifest", func() bool {
		now, err := os.ReadFile(path)
		return err == nil && !bytes.Equal(now, before)
	})
}
