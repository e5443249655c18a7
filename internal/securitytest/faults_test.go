package securitytest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// Fault injection: remote keys and token files failing in every way while
// goroutines keep verifying and reading. Every loop is bounded by a count
// and by the test's deadline.

// faultBudget bounds each fault test, far above what it needs.
const faultBudget = 20 * time.Second

// hammer runs work on n goroutines until stop is closed or each has run
// max times, and returns how many calls were made.
func hammer(n, max int, stop <-chan struct{}, work func()) (wait func() int64) {
	var calls atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for range max {
				select {
				case <-stop:
					return
				default:
				}
				work()
				calls.Add(1)
			}
		})
	}
	return func() int64 { wg.Wait(); return calls.Load() }
}

// A JWK Set server that flaps, stalls past the timeout, answers garbage or a
// huge body, and rotates keys, while goroutines verify genuine and forged
// tokens through a jwks.Cache: no forged token is ever accepted, a genuine
// one fails only as an unknown key (rotated out) or with keys unavailable,
// the last good keys keep verifying through every fault, and the cache
// recovers once the server does.
func TestFaultsJWKS(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), faultBudget)
	defer cancel()
	clock, a, b := authtest.NewClock(t0), testkit.Key(t, jwks.ES256, "k1"), testkit.Key(t, jwks.ES256, "k2")
	srv := testkit.NewKeyServer(t, a.Public())
	c, _ := newCache(t, clock, srv, func(cfg *jwks.CacheConfig) {
		cfg.Timeout, cfg.MaxBodySize = time.Second, 64<<10
	})
	r := newRig(t, rigOpts{clock: clock, key: a, keys: c})
	attacker := testkit.Key(t, jwks.ES256, "k1")
	claims := r.claims(t, nil, "")
	byA := r.token(t, nil, "")
	byB := testkit.Sign(t, b, testkit.Header("ES256", "k2", ""), claims)
	forged := []string{
		testkit.Sign(t, attacker, testkit.Header("ES256", "k1", ""), claims),
		testkit.Sign(t, attacker, testkit.Header("ES256", "k2", ""), claims),
		testkit.Sign(t, attacker, testkit.Header("ES256", "", ""), claims),
		malleateOther(t, byA, byB),
	}

	ok := func(keys ...*jwks.SigningKey) http.HandlerFunc {
		var jwkList []string
		for _, k := range keys {
			jwkList = append(jwkList, testkit.JWK(t, k.Public(), ""))
		}
		body := `{"keys":[` + strings.Join(jwkList, ",") + `]}`
		return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }
	}
	status500 := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }
	garbage := func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("\x00\xff{\"keys\":[{")) }
	huge := func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[],"x":"` + strings.Repeat("x", 256<<10) + `"}`))
	}
	stall := func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-req.Context().Done():
		case <-ctx.Done():
		}
	}

	var violations sync.Map // description → true
	stop := make(chan struct{})
	wait := hammer(2, 50_000, stop, func() {
		for _, f := range forged {
			if _, err := r.v.Verify(ctx, f); err == nil {
				violations.Store("forged token accepted", true)
			}
		}
		for _, g := range []string{byA, byB} {
			_, err := r.v.Verify(ctx, g)
			if err != nil && !errors.Is(err, token.ErrUnknownKey) && !errors.Is(err, token.ErrKeysUnavailable) {
				violations.Store("genuine token: "+err.Error(), true)
			}
		}
	})

	// Each phase sets the server's answer, refreshes, and checks which of
	// byA and byB verify afterwards.
	phases := []struct {
		name    string
		answer  http.HandlerFunc
		fails   bool
		a, b    bool
		repeats int
	}{
		{"rotation publishes k2", ok(a, b), false, true, true, 1},
		{"flapping", status500, true, true, true, 1},
		{"flapping back", ok(a, b), false, true, true, 1},
		{"garbage", garbage, true, true, true, 1},
		{"huge body", huge, true, true, true, 1},
		{"stall past the timeout", stall, true, true, true, 1},
		{"rotation retires k1", ok(b), false, false, true, 1},
		{"status 500 again", status500, true, false, true, 1},
		{"recovery", ok(a, b), false, true, true, 1},
		{"fast flapping", status500, true, true, true, 20},
	}
	for _, ph := range phases {
		for i := range ph.repeats {
			if ph.repeats > 1 && i%2 == 1 {
				srv.SetHandler(ok(a, b))
				require.NoError(t, c.Refresh(ctx))
				continue
			}
			srv.SetHandler(ph.answer)
			err := c.Refresh(ctx)
			if ph.fails {
				require.ErrorIs(t, err, jwks.ErrKeysUnavailable, ph.name)
			} else {
				require.NoError(t, err, ph.name)
			}
		}
		for name, tc := range map[string]struct {
			raw  string
			want bool
		}{"k1": {byA, ph.a}, "k2": {byB, ph.b}} {
			_, err := r.v.Verify(ctx, tc.raw)
			if tc.want {
				assert.NoError(t, err, "%s: token of %s", ph.name, name)
			} else {
				assert.ErrorIs(t, err, token.ErrUnknownKey, "%s: token of %s", ph.name, name)
			}
		}
	}
	close(stop)
	assert.Positive(t, wait())
	violations.Range(func(k, _ any) bool {
		t.Errorf("during the faults: %s", k)
		return true
	})

	// Past MaxStale the keys are unavailable (503), and a fetch that works
	// again brings them back.
	srv.SetHandler(status500)
	clock.Advance(2 * time.Hour)
	r.reject(t, r.token(t, nil, ""), token.ErrKeysUnavailable)
	srv.SetHandler(ok(a, b))
	require.NoError(t, c.Refresh(ctx))
	r.accept(t, r.token(t, nil, ""))
}

// malleateOther joins the header and payload of one token with the
// signature of another: a valid signature, of other bytes.
func malleateOther(t testing.TB, x, y string) string {
	t.Helper()
	h, p, _ := testkit.Segments(t, x)
	_, _, s := testkit.Segments(t, y)
	return h + "." + p + "." + s
}

// A token file deleted, emptied and replaced by rename over and over while
// a FileSource serves readers: every read returns one of the tokens
// written, whole (never a torn or empty one) and without error; the last
// good token is kept while the file is gone or empty.
func TestFaultsTokenFile(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), faultBudget)
	defer cancel()
	r := newRig(t, rigOpts{})
	var written []string
	for i := range 4 {
		written = append(written, r.token(t, map[string]any{"jti": strings.Repeat(string(rune('a'+i)), 32)}, ""))
	}
	path := filepath.Join(t.TempDir(), "token")
	require.NoError(t, refresh.WriteTokenFile(path, token.Raw(written[0])))
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: path, CacheFor: time.Nanosecond, Logger: r.logs.Logger()})
	require.NoError(t, err)

	faults := []func(i int) error{
		func(i int) error { return refresh.WriteTokenFile(path, token.Raw(written[i%len(written)])) },
		func(int) error { return ignoreMissing(os.Remove(path)) },
		func(i int) error { return refresh.WriteTokenFile(path, token.Raw(written[i%len(written)])) },
		func(int) error { return ignoreMissing(os.Truncate(path, 0)) },
		func(i int) error { return refresh.WriteTokenFile(path, token.Raw(written[i%len(written)])) },
		func(int) error { return os.WriteFile(path, []byte(" \n\t\n"), 0o600) },
	}
	var bad sync.Map
	stop := make(chan struct{})
	wait := hammer(2, 20_000, stop, func() {
		for _, read := range []func(context.Context) (token.Raw, error){src.Token, src.Reload} {
			tok, err := read(ctx)
			switch {
			case err != nil:
				bad.Store("error: "+err.Error(), true)
			case !slices.Contains(written, string(tok)):
				bad.Store("a token never written, of length "+strconv.Itoa(len(tok)), true)
			}
		}
	})
	for i := 0; i < 120 && ctx.Err() == nil; i++ {
		require.NoError(t, faults[i%len(faults)](i))
	}
	close(stop)
	assert.Positive(t, wait())
	bad.Range(func(k, _ any) bool {
		t.Errorf("while the file changed: %s", k)
		return true
	})

	// The last good token outlives the file, and a new file replaces it.
	require.NoError(t, refresh.WriteTokenFile(path, token.Raw(written[2])))
	for _, fault := range []func() error{
		func() error { return os.Remove(path) },
		func() error { return os.WriteFile(path, nil, 0o600) },
		func() error { return os.WriteFile(path, []byte("\n"), 0o600) },
	} {
		got, err := src.Reload(ctx)
		require.NoError(t, err)
		require.Equal(t, written[2], string(got))
		require.NoError(t, fault())
		got, err = src.Reload(ctx)
		require.NoError(t, err)
		assert.Equal(t, written[2], string(got), "last good token not kept")
		require.NoError(t, refresh.WriteTokenFile(path, token.Raw(written[2])))
	}
	require.NoError(t, refresh.WriteTokenFile(path, token.Raw(written[3])))
	got, err := src.Reload(ctx)
	require.NoError(t, err)
	assert.Equal(t, written[3], string(got))
	for _, w := range written {
		assert.NotContains(t, r.logs.String(), w, "a token was logged")
	}
}

func ignoreMissing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
