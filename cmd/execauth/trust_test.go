package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// TestServerTrustedKeys: a component that mints with its own key, listed
// with -jwks (a file or a URL), gets its tokens verified, but they are never
// reissued and a workload token of its never starts a chain here.
func TestServerTrustedKeys(t *testing.T) {
	t.Parallel()
	external := testkit.Seeded(t, "", 2)
	set, err := jwks.MarshalSet(external.Public())
	require.NoError(t, err)

	for _, source := range []string{"file", "url"} {
		t.Run(source, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			var trusted string
			if source == "file" {
				trusted = writeFile(t, t.TempDir(), "trusted.json", set)
			} else {
				hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					hits.Add(1)
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write(set)
				}))
				t.Cleanup(hs.Close)
				trusted = hs.URL + "/jwks.json"
			}
			f := newAPIFixture(t, serverConfig{trusted: []string{trusted}})
			ext, err := token.NewIssuer(token.IssuerConfig{Keys: external, Issuer: testIss, Audience: []string{testAud}, Now: f.clock.Now})
			require.NoError(t, err)
			a := taskA.String()
			const age = 9*time.Minute + 30*time.Second

			// A workload token of the external key cannot start a chain: 403,
			// and the task stays queued.
			r := f.do(t, "PATCH", taskPath(a, "run"), bearer(mintWith(t, ext, scope.Workload, a, t0)), runBodyA)
			assert.Equal(t, 403, r.status, r.body)
			assert.Empty(t, r.header.Get(refresh.DefaultHeader))
			r = f.do(t, "PUT", taskPath(a, "heartbeat"), bearer(f.mint(t, scope.Execution, a, 0)), "")
			assert.Equal(t, 409, r.status, "the refused run left the task queued")

			// An external execution token is accepted everywhere an execution
			// token is, near expiry too, without a successor.
			near := bearer(mintWith(t, ext, scope.Execution, a, t0.Add(-age)))
			r = f.do(t, "PATCH", taskPath(a, "run"), near, runBodyA)
			assert.Equal(t, 200, r.status, r.body)
			assert.Empty(t, r.header.Get(refresh.DefaultHeader))
			r = f.do(t, "PUT", taskPath(a, "heartbeat"), near, "")
			assert.Equal(t, 204, r.status)
			assert.Empty(t, r.header.Get(refresh.DefaultHeader), "never reissued: the server does not hold the key")

			// The server's own near-expiry token, same route: reissued.
			r = f.do(t, "PUT", taskPath(a, "heartbeat"), bearer(f.mint(t, scope.Execution, a, age)), "")
			assert.Equal(t, 204, r.status)
			assert.NotEmpty(t, r.header.Get(refresh.DefaultHeader))

			// Trusted keys are not the server's to publish.
			r = f.do(t, "GET", "/.well-known/jwks.json", "", "")
			keys, _, err := jwks.ParseSet([]byte(r.body))
			require.NoError(t, err)
			require.Len(t, keys, 1)
			assert.NotEqual(t, external.ID(), keys[0].ID())
			if source == "url" {
				assert.Equal(t, int32(1), hits.Load(), "fetched once at start")
			}
		})
	}
}

// TestServerTrustedKeysUnavailable: a -jwks URL that cannot be fetched at
// start fails the start, rather than a server that answers 503 to every
// trusted component.
func TestServerTrustedKeysUnavailable(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)

	_, err := newServer(context.Background(), serverConfig{
		key: testkit.Seeded(t, "", 1), issuer: testIss, audience: []string{testAud}, trusted: []string{down.URL + "/jwks.json"},
	})
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	assert.Equal(t, int32(1), hits.Load())

	// Through the command: exit status 1 and nothing served.
	dir := t.TempDir()
	key, _ := keygen(t, dir, jwks.EdDSA)
	r := runCLI(t, "", "serve", "-addr", "127.0.0.1:0", "-key", key, "-iss", testIss, "-aud", testAud, "-jwks", down.URL+"/jwks.json")
	require.ErrorIs(t, r.err, jwks.ErrKeysUnavailable)
	assert.Equal(t, 1, exitCode(r.err))
	assert.NotContains(t, r.stderr, "serving")
}

func TestServerTrustedKeyFileProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	own := testkit.Seeded(t, "", 1)
	other := testkit.Seeded(t, own.ID(), 2) // the server's kid, another key
	clash, err := jwks.MarshalSet(other.Public())
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		trusted string
		wantErr error
	}{
		{"missing file", filepath.Join(dir, "missing.json"), os.ErrNotExist},
		{"not a JWK Set", writeFile(t, dir, "bad.json", []byte(`{"kty":"OKP"}`)), jwks.ErrMalformed},
		{"no usable key", writeFile(t, dir, "empty.json", []byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`)), jwks.ErrUnsupportedKey},
		{"the server's own kid with another key", writeFile(t, dir, "own.json", clash), jwks.ErrInvalidKID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newServer(context.Background(), serverConfig{key: own, issuer: testIss, audience: []string{testAud}, trusted: []string{tc.trusted}})
			require.ErrorIs(t, err, tc.wantErr)
		})
	}
}
