package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// keysCLI runs a keys subcommand and requires it to succeed.
func keysCLI(t testing.TB, args ...string) result {
	t.Helper()
	r := runCLI(t, "", append([]string{"keys"}, args...)...)
	require.NoError(t, r.err, r.stderr)
	return r
}

// listed parses the output of keys list into rows of columns, header first.
func listed(t testing.TB, dir string) [][]string {
	t.Helper()
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(keysCLI(t, "list", "-dir", dir).stdout), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

// A rotation with the CLI alone: init, add, activate, remove, listed at
// each step.
func TestKeysCommands(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")

	first := strings.TrimSpace(keysCLI(t, "init", "-dir", dir, "-alg", "ES256").stdout)
	require.True(t, jwks.ValidKID(first), "init prints the kid")
	rows := listed(t, dir)
	assert.Equal(t, []string{"KID", "ALG", "STATE", "SINCE", "RETIRES-AT"}, rows[0])
	require.Len(t, rows, 2)
	assert.Equal(t, []string{first, "ES256", "active"}, rows[1][:3])
	assert.Equal(t, "-", rows[1][4])

	second := strings.TrimSpace(keysCLI(t, "add", "-dir", dir).stdout)
	third := strings.TrimSpace(keysCLI(t, "add", "-dir", dir, "-alg", "EdDSA").stdout)
	rows = listed(t, dir)
	require.Len(t, rows, 4)
	assert.Equal(t, []string{second, "ES256", "published"}, rows[2][:3], "add keeps the active key's alg")
	assert.Equal(t, []string{third, "EdDSA", "published"}, rows[3][:3])

	before := time.Now()
	r := keysCLI(t, "activate", "-dir", dir, "-kid", second, "-retire-after", "1h")
	assert.Contains(t, r.stdout, second+" signs; "+first+" retires at ")
	rows = listed(t, dir)
	assert.Equal(t, []string{first, "ES256", "retiring"}, rows[1][:3])
	assert.Equal(t, []string{second, "ES256", "active"}, rows[2][:3])
	retires, err := time.Parse(time.RFC3339, rows[1][4])
	require.NoError(t, err)
	assert.WithinRange(t, retires, before.Add(time.Hour).Truncate(time.Second), time.Now().Add(time.Hour+time.Second))

	// mint -keys signs with the active key.
	r = runCLI(t, "", "mint", "-keys", dir, "-iss", testIss, "-aud", testAud, "-class", "processor", "-sub", "dag-processor")
	require.NoError(t, r.err, r.stderr)
	d, err := jwks.OpenDir(t.Context(), jwks.DirConfig{Path: dir, Reload: -1})
	require.NoError(t, err)
	defer d.Close()
	v, err := token.NewVerifier(token.VerifierConfig{Keys: d, Issuer: testIss, Audience: []string{testAud}})
	require.NoError(t, err)
	c, err := v.Verify(t.Context(), strings.TrimSpace(r.stdout))
	require.NoError(t, err)
	assert.Equal(t, second, c.KeyID())

	// Removing the retiring key before its time: done, with a warning.
	r = keysCLI(t, "remove", "-dir", dir, "-kid", first)
	assert.Contains(t, r.stderr, first+" was to verify until")
	assert.Contains(t, r.stderr, "refused from now on")
	r = runCLI(t, "", "keys", "remove", "-dir", dir, "-kid", second)
	require.ErrorIs(t, r.err, jwks.ErrActiveKey)
	assert.Equal(t, 1, exitCode(r.err))
	rows = listed(t, dir)
	require.Len(t, rows, 3)
	assert.Equal(t, second, rows[1][0])
	assert.Equal(t, third, rows[2][0])
	_, err = os.Stat(filepath.Join(dir, first+".pem"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestKeysBadCommandLines(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	kid := strings.TrimSpace(keysCLI(t, "init", "-dir", dir).stdout)
	key, _ := keygen(t, t.TempDir(), jwks.EdDSA)
	mint := []string{"mint", "-iss", "i", "-aud", "a", "-class", "processor", "-sub", "p"}
	serve := []string{"serve", "-addr", "127.0.0.1:0", "-iss", "i", "-aud", "a"}
	for _, tc := range []struct {
		name       string
		args       []string
		wantErr    error // errUsage means exit status 2
		wantStderr string
	}{
		{"no subcommand", []string{"keys"}, errUsage, "usage: execauth keys <subcommand>"},
		{"unknown subcommand", []string{"keys", "rotate"}, errUsage, `unknown keys subcommand "rotate"`},
		{"unknown flag", []string{"keys", "list", "-dir", dir, "-all"}, errUsage, "usage: execauth keys list"},
		{"stray argument", []string{"keys", "list", "-dir", dir, "extra"}, errUsage, "unexpected argument"},
		{"no dir", []string{"keys", "list"}, errUsage, "-dir is required"},
		{"init with a bad alg", []string{"keys", "init", "-dir", t.TempDir(), "-alg", "HS512"}, errUsage, "-alg must be one of"},
		{"init over a key directory", []string{"keys", "init", "-dir", dir}, os.ErrExist, "already has a keys.json"},
		{"add to no key directory", []string{"keys", "add", "-dir", t.TempDir()}, os.ErrNotExist, "keys.json"},
		{"activate without kid", []string{"keys", "activate", "-dir", dir}, errUsage, "-kid is required"},
		{"activate an unknown kid", []string{"keys", "activate", "-dir", dir, "-kid", "zz"}, jwks.ErrUnknownKey, "no key"},
		{"activate with a negative retire time", []string{"keys", "activate", "-dir", dir, "-kid", kid, "-retire-after", "-1h"}, errUsage, "-retire-after must be positive"},
		{"remove the active key", []string{"keys", "remove", "-dir", dir, "-kid", kid}, jwks.ErrActiveKey, "activate another key"},
		{"mint with -key and -keys", append(append([]string{}, mint...), "-key", key, "-keys", dir), errUsage, "exclude each other"},
		{"mint -keys with -kid", append(append([]string{}, mint...), "-keys", dir, "-kid", "x"), errUsage, "go with -key"},
		{"mint from no key directory", append(append([]string{}, mint...), "-keys", t.TempDir()), os.ErrNotExist, "keys.json"},
		{"serve -keys with -secret-text", append(append([]string{}, serve...), "-keys", dir, "-secret-text"), errUsage, "go with -key"},
		{"serve with -key and -keys", append(append([]string{}, serve...), "-key", key, "-keys", dir), errUsage, "exclude each other"},
		{"serve with no reload", append(append([]string{}, serve...), "-keys", dir, "-reload", "0s"), errUsage, "-reload must be positive"},
		{"serve with a fractional ttl", append(append([]string{}, serve...), "-keys", dir, "-ttl", "1500ms"), errUsage, "-ttl must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, "", tc.args...)
			require.ErrorIs(t, r.err, tc.wantErr)
			if tc.wantErr == errUsage {
				assert.Equal(t, 2, exitCode(r.err))
				assert.Contains(t, r.stderr, "usage: execauth")
			} else {
				assert.Equal(t, 1, exitCode(r.err))
			}
			assert.Contains(t, r.stderr, tc.wantStderr)
			assert.Equal(t, 1, strings.Count(r.stderr, "execauth "+tc.args[0]+":"), "reported once")
			assert.Empty(t, r.stdout)
		})
	}
}

func TestKeysHelp(t *testing.T) {
	t.Parallel()
	r := keysCLI(t, "-h")
	for _, sub := range []string{"init", "add", "activate", "remove", "list"} {
		assert.Contains(t, r.stderr, "  "+sub)
	}
	r = keysCLI(t, "activate", "-h")
	assert.Contains(t, r.stderr, "usage: execauth keys activate -dir DIR -kid KID")
	assert.Contains(t, r.stderr, "-retire-after")
	assert.Contains(t, runCLI(t, "", "-h").stderr, "keys ", "listed among the subcommands")
}

// serve -keys follows the directory: a key added with the CLI is served
// within the reload interval, and once activated, signs the tokens the
// server hands out.
func TestServeKeysCommand(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	first := strings.TrimSpace(keysCLI(t, "init", "-dir", dir).stdout)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testkit.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-keys", dir, "-reload", "20ms", "-iss", testIss, "-aud", testAud}, &stdout, &stderr)
	}()
	listening := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+) kid=(\S+)`)
	var url string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(stderr.String())
		if m != nil {
			url = m[1]
			assert.Equal(t, first, m[2], "logs the active kid")
		}
		return m != nil
	}, 10*time.Second, 5*time.Millisecond, "serve did not start: %s", stderr.String())
	served := func() []string {
		resp, err := http.Get(url + "/.well-known/jwks.json")
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		keys, _, err := jwks.ParseSet(body)
		require.NoError(t, err)
		var out []string
		for _, k := range keys {
			out = append(out, k.ID())
		}
		return out
	}
	assert.Equal(t, []string{first}, served())

	second := strings.TrimSpace(keysCLI(t, "add", "-dir", dir).stdout)
	require.Eventually(t, func() bool { return len(served()) == 2 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, []string{first, second}, served())
	keysCLI(t, "activate", "-dir", dir, "-kid", second)
	require.Eventually(t, func() bool { return served()[0] == second }, 10*time.Second, 5*time.Millisecond, "the active key is served first")
	keysCLI(t, "remove", "-dir", dir, "-kid", first)
	require.Eventually(t, func() bool { return len(served()) == 1 }, 10*time.Second, 5*time.Millisecond)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	assert.Contains(t, stderr.String(), "jwks: key directory loaded")
	assert.NotContains(t, stderr.String(), "not loaded", "no read failed, though the CLI wrote while the server read")
}

// -jwks may be given several times: the keys of every set verify, a file's
// and a URL's alike, next to the server's own; none of them is published
// by the server.
func TestServerSeveralTrustedSets(t *testing.T) {
	t.Parallel()
	fromFile, fromURL := testkit.Seeded(t, "", 21), testkit.Seeded(t, "", 22)
	set, err := jwks.MarshalSet(fromFile.Public())
	require.NoError(t, err)
	file := writeFile(t, t.TempDir(), "trusted.json", set)
	remote := testkit.NewKeyServer(t, fromURL.Public())
	f := newAPIFixture(t, serverConfig{trusted: []string{file, remote.URL + "/jwks.json"}})

	for name, k := range map[string]*jwks.SigningKey{"file": fromFile, "url": fromURL} {
		iss, err := token.NewIssuer(token.IssuerConfig{Keys: k, Issuer: testIss, Audience: []string{testAud}, Now: f.clock.Now})
		require.NoError(t, err)
		r := f.do(t, "GET", "/connections/"+demoConn, bearer(mintWith(t, iss, scope.Processor, "dag-processor", t0)), "")
		assert.Equal(t, http.StatusOK, r.status, name)
	}
	r := f.do(t, "GET", "/connections/"+demoConn, bearer(f.mint(t, scope.Execution, taskA.String(), 0)), "")
	assert.Equal(t, http.StatusOK, r.status, "the server's own key")
	stranger, err := token.NewIssuer(token.IssuerConfig{Keys: testkit.Seeded(t, "", 23), Issuer: testIss, Audience: []string{testAud}, Now: f.clock.Now})
	require.NoError(t, err)
	r = f.do(t, "GET", "/connections/"+demoConn, bearer(mintWith(t, stranger, scope.Processor, "dag-processor", t0)), "")
	assert.Equal(t, http.StatusUnauthorized, r.status, "a key nobody trusts")

	r = f.do(t, "GET", "/.well-known/jwks.json", "", "")
	keys, _, err := jwks.ParseSet([]byte(r.body))
	require.NoError(t, err)
	require.Len(t, keys, 1, "only the server's own key is published")
}
