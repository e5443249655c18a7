package jwks_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// editManifest rewrites the manifest through f, keeping its mode.
func (e *dirEnv) editManifest(t *testing.T, f func(m map[string]any)) {
	t.Helper()
	m := e.manifest(t)
	f(m)
	data, err := json.Marshal(m)
	require.NoError(t, err)
	e.write(t, jwks.ManifestName, data)
}

// write replaces a file of the directory in place, mode 0600.
func (e *dirEnv) write(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join(e.path, name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	require.NoError(t, os.Chmod(path, 0o600)) // WriteFile keeps the mode of a file that exists
}

// key returns the manifest entry i.
func key(m map[string]any, i int) map[string]any {
	return m["keys"].([]any)[i].(map[string]any)
}

// Every broken or half-written state of the directory keeps the last good
// keys in use, and says why: through Reload's error, Err and the Logger
// (once, however often it repeats). Repairing the directory clears the
// error. A key file that the manifest does not name yet (a writer between
// its two steps) is no error at all.
func TestDirKeepsLastGoodState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		breakIt func(t *testing.T, e *dirEnv)
		wantErr error
	}{
		{"missing manifest", func(t *testing.T, e *dirEnv) {
			require.NoError(t, os.Remove(filepath.Join(e.path, jwks.ManifestName)))
		}, os.ErrNotExist},
		{"manifest cut short", func(t *testing.T, e *dirEnv) {
			data, err := os.ReadFile(filepath.Join(e.path, jwks.ManifestName))
			require.NoError(t, err)
			e.write(t, jwks.ManifestName, data[:len(data)/2])
		}, jwks.ErrMalformed},
		{"manifest of another version", func(t *testing.T, e *dirEnv) {
			e.editManifest(t, func(m map[string]any) { m["version"] = 2 })
		}, jwks.ErrMalformed},
		{"unknown member", func(t *testing.T, e *dirEnv) {
			e.editManifest(t, func(m map[string]any) { key(m, 1)["state "] = "active" })
		}, jwks.ErrMalformed},
		{"two active keys", func(t *testing.T, e *dirEnv) {
			e.editManifest(t, func(m map[string]any) { key(m, 1)["state"] = "active" })
		}, jwks.ErrMalformed},
		{"no active key", func(t *testing.T, e *dirEnv) {
			e.editManifest(t, func(m map[string]any) { key(m, 0)["state"] = "published" })
		}, jwks.ErrMalformed},
		{"retiring without a retire time", func(t *testing.T, e *dirEnv) {
			e.editManifest(t, func(m map[string]any) { key(m, 1)["state"] = "retiring" })
		}, jwks.ErrMalformed},
		{"unknown state", func(t *testing.T, e *dirEnv) {
			e.editManifest(t, func(m map[string]any) { key(m, 1)["state"] = "pending" })
		}, jwks.ErrMalformed},
		{"unknown kid: its file is missing", func(t *testing.T, e *dirEnv) {
			e.editManifest(t, func(m map[string]any) {
				m["keys"] = append(m["keys"].([]any), map[string]any{
					"kid": "ghost", "alg": "ES256", "file": "ghost.pem", "state": "published", "since": "2025-06-01T12:00:00Z",
				})
			})
		}, jwks.ErrUnknownKey},
		{"file outside the directory", func(t *testing.T, e *dirEnv) {
			e.editManifest(t, func(m map[string]any) { key(m, 1)["file"] = "../" + e.b.ID() + ".pem" })
		}, jwks.ErrMalformed},
		{"truncated key file", func(t *testing.T, e *dirEnv) {
			data, err := os.ReadFile(filepath.Join(e.path, e.b.ID()+".pem"))
			require.NoError(t, err)
			e.write(t, e.b.ID()+".pem", data[:len(data)-20])
		}, jwks.ErrMalformed},
		{"empty key file", func(t *testing.T, e *dirEnv) { e.write(t, e.b.ID()+".pem", nil) }, jwks.ErrMalformed},
		{"key file of another algorithm", func(t *testing.T, e *dirEnv) {
			require.NoError(t, jwks.WriteSigningKey(filepath.Join(e.path, e.b.ID()+".pem"), testkit.Key(t, jwks.ES256, "")))
		}, jwks.ErrKeyMismatch},
		{"key file readable by others", func(t *testing.T, e *dirEnv) {
			require.NoError(t, os.Chmod(filepath.Join(e.path, e.b.ID()+".pem"), 0o644))
		}, jwks.ErrFileMode},
		{"manifest writable by the group", func(t *testing.T, e *dirEnv) {
			require.NoError(t, os.Chmod(filepath.Join(e.path, jwks.ManifestName), 0o660))
		}, jwks.ErrFileMode},
		{"key file replaced by a directory", func(t *testing.T, e *dirEnv) {
			path := filepath.Join(e.path, e.b.ID()+".pem")
			require.NoError(t, os.Remove(path))
			require.NoError(t, os.Mkdir(path, 0o700))
		}, jwks.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDirEnv(t)
			d := e.dir
			iss, ver := tokens(t, d, e.clock)
			gen, active, published := d.Generation(), d.Active(), kids(d.PublicKeys())
			var backup []string
			for _, name := range []string{jwks.ManifestName, e.b.ID() + ".pem"} {
				data, err := os.ReadFile(filepath.Join(e.path, name))
				require.NoError(t, err)
				backup = append(backup, string(data))
			}

			tc.breakIt(t, e)
			for range 3 {
				require.ErrorIs(t, d.Reload(t.Context()), tc.wantErr)
			}
			require.ErrorIs(t, d.Err(), tc.wantErr)
			require.Len(t, e.errs.All(), 1, "logged once, not at every read")
			require.ErrorIs(t, e.errs.All()[0], tc.wantErr)

			// The last good state serves on.
			assert.Equal(t, gen, d.Generation())
			assert.Same(t, active, d.Active())
			assert.Equal(t, published, kids(d.PublicKeys()))
			raw, err := iss.Execution(uuid.New())
			require.NoError(t, err)
			_, err = ver.Verify(t.Context(), string(raw))
			require.NoError(t, err)
			_, err = d.LookupKey(t.Context(), e.b.ID(), jwks.EdDSA)
			require.NoError(t, err)

			// Repaired, the directory loads again: the same keys, the same
			// generation.
			path := filepath.Join(e.path, e.b.ID()+".pem")
			if info, err := os.Stat(path); err == nil && info.IsDir() {
				require.NoError(t, os.Remove(path))
			}
			e.write(t, jwks.ManifestName, []byte(backup[0]))
			e.write(t, e.b.ID()+".pem", []byte(backup[1]))
			require.NoError(t, d.Reload(t.Context()))
			require.NoError(t, d.Err())
			assert.Equal(t, gen, d.Generation())
		})
	}
}

func TestDirIgnoresFilesTheManifestDoesNotName(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	gen := e.dir.Generation()
	// A writer between its two steps: the key file is there, the manifest
	// does not name it yet. And a temporary file of an interrupted write.
	next := testkit.Key(t, jwks.ES256, "")
	require.NoError(t, jwks.WriteSigningKey(filepath.Join(e.path, next.ID()+".pem"), next))
	e.write(t, ".keys.json.tmp-123", []byte("{"))
	require.NoError(t, e.dir.Reload(t.Context()))
	assert.Equal(t, gen, e.dir.Generation())
	assert.False(t, e.dir.Holds(next.ID()))
	assert.Empty(t, e.errs.All())
}

// Kubernetes projects a Secret as symbolic links through a "..data" link
// that it swaps to a new directory in one rename: the Dir follows the
// links and picks up the new version whole.
func TestDirOnKubernetesSecretLayout(t *testing.T) {
	t.Parallel()
	src := newDirEnv(t) // where an operator prepares the keys
	mount := t.TempDir()
	project := func(version string) {
		t.Helper()
		dir := filepath.Join(mount, version)
		require.NoError(t, os.Mkdir(dir, 0o755))
		entries, err := os.ReadDir(src.path)
		require.NoError(t, err)
		for _, en := range entries {
			data, err := os.ReadFile(filepath.Join(src.path, en.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, en.Name()), data, 0o400))
			link := filepath.Join(mount, en.Name())
			if _, err := os.Lstat(link); os.IsNotExist(err) {
				require.NoError(t, os.Symlink(filepath.Join("..data", en.Name()), link))
			}
		}
		tmp := filepath.Join(mount, "..data_tmp")
		require.NoError(t, os.Symlink(version, tmp))
		require.NoError(t, os.Rename(tmp, filepath.Join(mount, "..data")))
	}
	project("..2025_06_01_v1")
	cfg := src.config()
	cfg.Path = mount
	d, err := jwks.OpenDir(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(d.Close)
	assert.Equal(t, src.a.ID(), d.Active().ID())

	require.NoError(t, src.dir.Activate(t.Context(), src.b.ID()))
	project("..2025_06_01_v2")
	require.NoError(t, d.Reload(t.Context()))
	assert.Equal(t, src.b.ID(), d.Active().ID())
	assert.True(t, d.Holds(src.a.ID()), "retiring")
}

// An emergency removal of a retiring key, whose tokens have not expired:
// the replica that removes it refuses them at once, cached or not, even
// when the directory cannot be loaded afterwards; another replica refuses
// them from its next read.
func TestDirEmergencyRemoval(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	replica := e.open(t)
	iss, ver := tokens(t, e.dir, e.clock)
	_, replicaVer := tokens(t, replica, e.clock)
	leaked, err := iss.Execution(uuid.New())
	require.NoError(t, err)
	require.NoError(t, e.dir.Activate(t.Context(), e.b.ID()))
	require.NoError(t, replica.Reload(t.Context()))
	for _, v := range []*token.Verifier{ver, replicaVer} {
		_, err := v.Verify(t.Context(), string(leaked))
		require.NoError(t, err, "retiring, not expired; now cached")
	}

	// Another key's file is broken meanwhile: the directory cannot load.
	other := testkit.Key(t, jwks.EdDSA, "")
	require.NoError(t, e.dir.Publish(t.Context(), other))
	require.NoError(t, os.Chmod(filepath.Join(e.path, other.ID()+".pem"), 0o644))

	err = e.dir.Remove(t.Context(), e.a.ID())
	require.ErrorIs(t, err, jwks.ErrFileMode, "the reload after the removal failed")
	_, err = ver.Verify(t.Context(), string(leaked))
	require.ErrorIs(t, err, token.ErrUnknownKey, "refused at once all the same")
	_, err = replicaVer.Verify(t.Context(), string(leaked))
	require.NoError(t, err, "the other replica has not read the directory yet")

	require.NoError(t, os.Chmod(filepath.Join(e.path, other.ID()+".pem"), 0o600))
	require.NoError(t, replica.Reload(t.Context()))
	_, err = replicaVer.Verify(t.Context(), string(leaked))
	require.ErrorIs(t, err, token.ErrUnknownKey, "refused from its next read")
	assert.NotContains(t, fmt.Sprint(replica.Keys()), e.a.ID())
}

// Close stops the polling: a directory broken afterwards is not read.
func TestDirClose(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	cfg := e.config()
	cfg.Reload = time.Millisecond
	d, err := jwks.OpenDir(t.Context(), cfg)
	require.NoError(t, err)
	e.editManifest(t, func(m map[string]any) { m["version"] = 0 })
	require.Eventually(t, func() bool { return d.Err() != nil }, 10*time.Second, time.Millisecond, "polling reads the directory")
	d.Close()
	d.Close() // idempotent
	e.editManifest(t, func(m map[string]any) { m["version"] = 1 })
	time.Sleep(20 * time.Millisecond) // twenty polling intervals
	require.ErrorIs(t, d.Err(), jwks.ErrMalformed, "not read since Close")
	require.NoError(t, d.Reload(t.Context()), "Reload still works")
}
