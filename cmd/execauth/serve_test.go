package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// TestServeCommand starts serve on a free port, calls it, then cancels its
// context as SIGINT would: it shuts down and returns nil.
func TestServeCommand(t *testing.T) {
	t.Parallel()
	key, kid := keygen(t, t.TempDir(), jwks.ES256)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testkit.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-key", key, "-iss", testIss, "-aud", testAud}, &stdout, &stderr)
	}()

	listening := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
	var url string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(stderr.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, 10*time.Second, 5*time.Millisecond, "serve did not start: %s", stderr.String())

	resp, err := http.Get(url + "/health")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"status":"ok"}`, string(body))

	resp, err = http.Get(url + "/.well-known/jwks.json")
	require.NoError(t, err)
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(body), `"kid":"`+kid+`"`)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	assert.Contains(t, stderr.String(), "shut down")
	assert.Contains(t, stderr.String(), `route="GET /health" status=200`)
	assert.Empty(t, stdout.String())
	_, err = http.Get(url + "/health")
	assert.Error(t, err, "the port is closed")
}

func TestServeBadAddress(t *testing.T) {
	t.Parallel()
	key, _ := keygen(t, t.TempDir(), jwks.EdDSA)
	r := runCLI(t, "", "serve", "-addr", "127.0.0.1:99999", "-key", key, "-iss", testIss, "-aud", testAud)
	require.Error(t, r.err)
	assert.Equal(t, 1, exitCode(r.err))
	assert.Contains(t, r.stderr, "execauth serve:")
}
