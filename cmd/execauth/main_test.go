package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"usage", usagef("-key is required"), 2},
		{"rejected token", reject(io.EOF), 1},
		{"other failure", os.ErrNotExist, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, exitCode(tc.err))
		})
	}
}

// TestRunPublicEntry checks that run, main's only call, dispatches.
func TestRunPublicEntry(t *testing.T) {
	t.Parallel()
	var out, errOut testkit.Buffer
	err := run(context.Background(), []string{"keygen", "-alg", "ES256"}, &out, &errOut)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "-----BEGIN PRIVATE KEY-----")
}

func TestBadCommandLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _ := keygen(t, dir, jwks.EdDSA)
	hmac, _ := keygen(t, dir, jwks.HS512)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(rsa1024)
	require.NoError(t, err)
	weakRSA := writeFile(t, dir, "rsa1024.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	weakHMAC := writeFile(t, dir, "short.secret", []byte(base64.RawURLEncoding.EncodeToString(make([]byte, 16))+"\n"))
	missing := filepath.Join(dir, "missing.key")
	mint := []string{"mint", "-iss", "i", "-aud", "a", "-class", "workload", "-sub", taskA.String()}

	for _, tc := range []struct {
		name       string
		args       []string
		wantErr    error // errUsage means exit status 2
		wantStderr string
	}{
		{"no subcommand", nil, errUsage, "usage: execauth <subcommand>"},
		{"unknown subcommand", []string{"frobnicate"}, errUsage, `unknown subcommand "frobnicate"`},
		{"unknown flag", []string{"keygen", "-bogus"}, errUsage, "flag provided but not defined: -bogus"},
		{"bad alg", []string{"keygen", "-alg", "HS256"}, errUsage, "-alg must be one of"},
		{"none alg", []string{"keygen", "-alg", "none"}, errUsage, "-alg must be one of"},
		{"stray argument", []string{"keygen", "extra"}, errUsage, "unexpected argument"},
		{"jwks without key", []string{"jwks"}, errUsage, "-key is required"},
		{"jwks of missing file", []string{"jwks", "-key", missing}, os.ErrNotExist, "missing.key"},
		{"jwks of an HMAC secret", []string{"jwks", "-key", hmac}, jwks.ErrUnsupportedKey, "never published"},
		{"mint without key", mint, errUsage, "-key or -keys is required"},
		{"mint without iss", []string{"mint", "-key", key, "-aud", "a", "-class", "workload", "-sub", taskA.String()}, errUsage, "-iss is required"},
		{"mint with blank aud", append([]string{"mint", "-key", key}, "-iss", "i", "-aud", " , ", "-class", "execution", "-sub", taskA.String()), errUsage, "-aud names no audience"},
		{"mint unknown class", []string{"mint", "-key", key, "-iss", "i", "-aud", "a", "-class", "admin", "-sub", "x"}, errUsage, "-class must be"},
		{"mint workload sub not a UUID", []string{"mint", "-key", key, "-iss", "i", "-aud", "a", "-class", "workload", "-sub", "task-1"}, errUsage, "must be a task id"},
		{"mint negative ttl", append(append([]string{}, mint...), "-key", key, "-ttl", "-1s"), errUsage, "-ttl must be"},
		{"mint fractional ttl", append(append([]string{}, mint...), "-key", key, "-ttl", "1500ms"), errUsage, "-ttl must be"},
		{"mint with missing key file", append(append([]string{}, mint...), "-key", missing), os.ErrNotExist, "missing.key"},
		{"mint with a directory as key", append(append([]string{}, mint...), "-key", dir), nil, dir},
		{"mint with weak RSA key", append(append([]string{}, mint...), "-key", weakRSA), jwks.ErrWeakKey, "weak key"},
		{"mint with short HMAC secret", append(append([]string{}, mint...), "-key", weakHMAC), jwks.ErrWeakKey, "weak key"},
		{"verify without keys", []string{"verify", "-iss", "i", "-aud", "a", "x.y.z"}, errUsage, "exactly one of -jwks and -key"},
		{"verify with both keys", []string{"verify", "-jwks", key, "-key", key, "-iss", "i", "-aud", "a", "x.y.z"}, errUsage, "exactly one of -jwks and -key"},
		{"verify -kid with -jwks", []string{"verify", "-jwks", key, "-kid", "k", "-iss", "i", "-aud", "a", "x.y.z"}, errUsage, "-kid goes with -key"},
		{"verify two tokens", []string{"verify", "-key", key, "-iss", "i", "-aud", "a", "x.y.z", "x.y.z"}, errUsage, "more than one token"},
		{"verify without aud", []string{"verify", "-key", key, "-iss", "i", "x.y.z"}, errUsage, "-aud is required"},
		{"verify unknown class", []string{"verify", "-key", key, "-iss", "i", "-aud", "a", "-class", "root", "x.y.z"}, errUsage, "-class must be"},
		{"verify with weak key", []string{"verify", "-key", weakRSA, "-iss", "i", "-aud", "a", "x.y.z"}, jwks.ErrWeakKey, "weak key"},
		{"verify with a JWK Set that is not one", []string{"verify", "-jwks", key, "-iss", "i", "-aud", "a", "x.y.z"}, jwks.ErrMalformed, key},
		{"serve without key", []string{"serve", "-iss", "i", "-aud", "a"}, errUsage, "-key or -keys is required"},
		{"serve with weak key", []string{"serve", "-key", weakHMAC, "-iss", "i", "-aud", "a"}, jwks.ErrWeakKey, "weak key"},
		{"demo with an argument", []string{"demo", "now"}, errUsage, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, "", tc.args...)
			require.Error(t, r.err)
			if tc.wantErr != nil {
				require.ErrorIs(t, r.err, tc.wantErr)
			}
			if tc.wantErr != errUsage {
				assert.NotErrorIs(t, r.err, errUsage, "a failure that is not a usage error exits 1")
				assert.Equal(t, 1, exitCode(r.err))
			} else {
				assert.Equal(t, 2, exitCode(r.err))
				assert.Contains(t, r.stderr, "usage: execauth")
			}
			assert.Contains(t, r.stderr, tc.wantStderr)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"help"}, {"mint", "-h"}, {"verify", "-help"}} {
		t.Run(args[0]+" "+args[len(args)-1], func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, "", args...)
			require.NoError(t, r.err, "-h succeeds, as with the flag package")
			assert.Contains(t, r.stderr, "usage: execauth")
			assert.Empty(t, r.stdout)
		})
	}
}
