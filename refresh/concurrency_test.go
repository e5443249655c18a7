package refresh_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// TestConcurrentReissue sends 50 requests with one near-expiry token at
// once, through one shared Transport. The server holds every request until
// all 50 have arrived, so each of them carries the old token.
func TestConcurrentReissue(t *testing.T) {
	t.Parallel()
	const n = 50
	f := newFixture(t)
	raw := f.dueToken(t)
	re := f.reissuer(t, nil)

	var arrived atomic.Int32
	release := make(chan struct{})
	var lastAuth atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("/barrier", func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == n {
			close(release)
		}
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	})
	mux.HandleFunc("/whoami", func(_ http.ResponseWriter, r *http.Request) {
		lastAuth.Store(r.Header.Get("Authorization"))
	})
	srv := httptest.NewServer(authenticate(f.verifier, re.Middleware(mux)))
	t.Cleanup(srv.Close)
	tr, err := refresh.NewTransport(refresh.TransportConfig{
		Base: srv.Client().Transport, Source: refresh.StaticSource(raw), BaseURL: srv.URL,
	})
	require.NoError(t, err)
	client := &http.Client{Transport: tr}

	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/barrier", nil)
			if !assert.NoError(t, err) {
				return
			}
			res, err := client.Do(req)
			if !assert.NoError(t, err) {
				return
			}
			res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode)
			got[i] = res.Header.Get(refresh.DefaultHeader)
		})
	}
	wg.Wait()

	jtis := map[string]bool{}
	for _, tok := range got {
		require.NotEmpty(t, tok)
		c, err := f.verifier.Verify(t.Context(), tok)
		require.NoError(t, err)
		jtis[c.ID] = true
	}
	assert.Len(t, jtis, n, "every reissued token has its own jti")

	get(t, client, srv.URL+"/whoami")
	held, _ := lastAuth.Load().(string)
	held, ok := strings.CutPrefix(held, "Bearer ")
	require.True(t, ok)
	assert.Contains(t, got, held, "the Transport holds one of the reissued tokens")
}

// TestFileRotation rotates a provisioned token (by rename) while 8
// goroutines use it through a Transport against a server that accepts only
// the current and the previous token: no request may fail. The next
// rotation waits until every goroutine has completed a request started after
// the last one, as a provisioner rotates well ahead of exp.
func TestFileRotation(t *testing.T) {
	t.Parallel()
	const (
		workers   = 8
		rotations = 20
		body      = `{"heartbeat":true}`
	)
	f := newFixture(t)
	mint := func() token.Raw {
		return mintWith(t, f.issuer, token.Claims{Subject: "dag-processor", Scope: scope.Set{scope.Processor}})
	}
	var (
		mu        sync.Mutex
		cur, prev string
		rejected  int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		mu.Lock()
		accepted := auth == "Bearer "+cur || auth == "Bearer "+prev
		if !accepted {
			rejected++
		}
		mu.Unlock()
		switch {
		case !accepted:
			w.WriteHeader(http.StatusUnauthorized)
		case string(b) != body:
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "token")
	rotate := func() {
		next := mint()
		mu.Lock()
		prev, cur = cur, string(next)
		mu.Unlock()
		require.NoError(t, refresh.WriteTokenFile(path, next))
	}
	rotate()
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: path, Now: f.clock.Now})
	require.NoError(t, err)
	tr, err := refresh.NewTransport(refresh.TransportConfig{Base: srv.Client().Transport, Source: src, BaseURL: srv.URL})
	require.NoError(t, err)
	client := &http.Client{Transport: tr}

	var (
		gen      atomic.Int64
		stop     atomic.Bool
		failures atomic.Int64
		done     [workers]atomic.Int64 // gen at the start of each worker's last success
		wg       sync.WaitGroup
	)
	for i := range workers {
		done[i].Store(-1)
		wg.Go(func() {
			for !stop.Load() {
				g := gen.Load()
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader(body))
				if err != nil {
					failures.Add(1)
					return
				}
				res, err := client.Do(req)
				if err != nil {
					failures.Add(1)
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					failures.Add(1)
					continue
				}
				done[i].Store(g)
			}
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for k := int64(1); k <= rotations && failures.Load() == 0; k++ {
		rotate()
		gen.Store(k)
		for i := range workers {
			for done[i].Load() < k && time.Now().Before(deadline) && failures.Load() == 0 {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}
	stop.Store(true)
	wg.Wait()

	assert.Zero(t, failures.Load())
	for i := range workers {
		assert.Equal(t, int64(rotations), done[i].Load(), "worker %d kept up with every rotation", i)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Positive(t, rejected, "tokens two rotations old were refused and replaced")
}
