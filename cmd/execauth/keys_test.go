package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

func TestKeygen(t *testing.T) {
	t.Parallel()
	for _, alg := range keygenAlgs {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()

			// To a file: mode 0600, the kid on stdout.
			path, kid := keygen(t, dir, alg)
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			key, err := jwks.ReadSigningKey(path, "", "")
			require.NoError(t, err)
			assert.Equal(t, alg, key.Algorithm())
			assert.Equal(t, key.ID(), kid)

			// To stdout: the key alone on stdout, the kid on stderr.
			r := runCLI(t, "", "keygen", "-alg", string(alg))
			require.NoError(t, r.err)
			key, err = jwks.ParsePrivate([]byte(r.stdout), "", "")
			require.NoError(t, err)
			assert.Equal(t, key.ID()+"\n", r.stderr)
			if alg == jwks.HS512 {
				secret, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(r.stdout))
				require.NoError(t, err)
				assert.Len(t, secret, 64)
			} else {
				assert.True(t, strings.HasPrefix(r.stdout, "-----BEGIN PRIVATE KEY-----\n"), "PKCS #8 PEM")
			}
		})
	}
}

func TestKeygenDefaultIsEdDSA(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "", "keygen")
	require.NoError(t, r.err)
	key, err := jwks.ParsePrivate([]byte(r.stdout), "", "")
	require.NoError(t, err)
	assert.Equal(t, jwks.EdDSA, key.Algorithm())
}

func TestKeygenOverwritesAtomically(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "k.pem")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	r := runCLI(t, "", "keygen", "-out", path)
	require.NoError(t, r.err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "a replaced file gets 0600 too")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ed, edKID := keygen(t, dir, jwks.EdDSA)
	es, esKID := keygen(t, dir, jwks.ES256)

	r := runCLI(t, "", "jwks", "-key", ed, "-key", es)
	require.NoError(t, r.err, r.stderr)
	keys, skipped, err := jwks.ParseSet([]byte(r.stdout))
	require.NoError(t, err)
	assert.Empty(t, skipped)
	require.Len(t, keys, 2)
	assert.Equal(t, edKID, keys[0].ID(), "keys in the order given")
	assert.Equal(t, esKID, keys[1].ID())
	assert.Equal(t, jwks.ES256, keys[1].Algorithm())

	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	for _, k := range doc.Keys {
		assert.NotContains(t, k, "d", "no private member")
	}
}

func TestJWKSOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ed, _ := keygen(t, dir, jwks.EdDSA)
	path := filepath.Join(dir, "jwks.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	r := runCLI(t, "", "jwks", "-key", ed, "-out", path)
	require.NoError(t, r.err, r.stderr)
	assert.Empty(t, r.stdout, "the set went to the file")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, runCLI(t, "", "jwks", "-key", ed).stdout, string(b), "the same set as on stdout")
}

func TestJWKSRefusesDuplicateKey(t *testing.T) {
	t.Parallel()
	ed, _ := keygen(t, t.TempDir(), jwks.EdDSA)
	r := runCLI(t, "", "jwks", "-key", ed, "-key", ed)
	require.ErrorIs(t, r.err, jwks.ErrInvalidKID)
	assert.Empty(t, r.stdout)
}
