package jwks_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/observe"
)

// observedDir opens the env's directory again, as another replica, with
// every read reported to the returned events.
func (e *dirEnv) observedDir(t *testing.T) (*jwks.Dir, *testkit.Events[observe.KeyReload]) {
	t.Helper()
	reloads := new(testkit.Events[observe.KeyReload])
	cfg := e.config()
	cfg.Hooks = &observe.Hooks{OnKeyReload: reloads.Add, Now: testkit.StepClock(hookStart, hookStep)}
	d, err := jwks.OpenDir(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(d.Close)
	return d, reloads
}

// TestHooksKeyReload: every read of the key directory is reported, with what
// an applied state changed and, for a refused one, why; the last good
// state's keys are what Keys counts.
func TestHooksKeyReload(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	d, reloads := e.observedDir(t)
	ctx := t.Context()

	// read returns the events since the last call, with the timing checked
	// (the n-th read starts at the n-th pair of clock readings) and the
	// path, timing and error taken out.
	seen := 0
	read := func() []observe.KeyReload {
		t.Helper()
		all := reloads.All()
		out := all[seen:]
		for i := range out {
			assert.Equal(t, hookStart.Add(time.Duration(2*(seen+i))*hookStep), out[i].Start)
			assert.Equal(t, hookStep, out[i].Duration)
			assert.Equal(t, e.path, out[i].Path)
			out[i].Start, out[i].Duration, out[i].Path, out[i].Err = time.Time{}, 0, "", nil
		}
		seen = len(all)
		return out
	}

	assert.Equal(t, []observe.KeyReload{{Outcome: observe.Applied, Keys: 2, Added: 2}}, read(), "OpenDir's read")
	require.NoError(t, d.Reload(ctx))
	assert.Equal(t, []observe.KeyReload{{Outcome: observe.Unchanged, Keys: 2}}, read())

	// Another process rotates: the same keys in other roles.
	require.NoError(t, e.dir.Activate(ctx, e.b.ID()))
	require.NoError(t, d.Reload(ctx))
	assert.Equal(t, []observe.KeyReload{{Outcome: observe.Applied, Keys: 2}}, read(), "an activation adds and removes no key")

	c := testkit.Key(t, jwks.ES384, "")
	require.NoError(t, e.dir.Publish(ctx, c))
	require.NoError(t, e.dir.Remove(ctx, e.a.ID()))
	require.NoError(t, d.Reload(ctx))
	assert.Equal(t, []observe.KeyReload{{Outcome: observe.Applied, Keys: 2, Added: 1, Removed: 1}}, read(), "one published, one removed")

	// A key file replaced under the same kid counts as removed and added.
	require.NoError(t, jwks.WriteSigningKey(filepath.Join(e.path, c.ID()+".pem"), testkit.Key(t, jwks.ES384, c.ID())))
	require.NoError(t, d.Reload(ctx))
	assert.Equal(t, []observe.KeyReload{{Outcome: observe.Applied, Keys: 2, Added: 1, Removed: 1}}, read())

	// Refused: the last good state's keys stay, and the reason is a code.
	require.NoError(t, os.Chmod(filepath.Join(e.path, c.ID()+".pem"), 0o644))
	require.ErrorIs(t, d.Reload(ctx), jwks.ErrFileMode)
	all := reloads.All()
	require.ErrorIs(t, all[len(all)-1].Err, jwks.ErrFileMode)
	assert.Equal(t, []observe.KeyReload{{Outcome: observe.Refused, Reason: observe.FileMode, Keys: 2}}, read())
	require.NoError(t, os.Chmod(filepath.Join(e.path, c.ID()+".pem"), 0o600))

	// Writes through the Dir are reloads too.
	require.NoError(t, d.Publish(ctx, testkit.Key(t, jwks.EdDSA, "")))
	assert.Equal(t, []observe.KeyReload{{Outcome: observe.Applied, Keys: 3, Added: 1}}, read())

	// A read cut short by its ctx says nothing of the directory.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, d.Reload(canceled), context.Canceled)
	assert.Empty(t, read())
}

// TestHooksKeyReloadReasons: each way a directory can be broken is reported
// by its code.
func TestHooksKeyReloadReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		breakIt func(t *testing.T, e *dirEnv)
		want    string
	}{
		{"missing manifest", func(t *testing.T, e *dirEnv) {
			require.NoError(t, os.Remove(filepath.Join(e.path, jwks.ManifestName)))
		}, observe.Missing},
		{"manifest cut short", func(t *testing.T, e *dirEnv) { e.write(t, jwks.ManifestName, []byte(`{"version":1,`)) }, observe.Malformed},
		{"two active keys", func(t *testing.T, e *dirEnv) {
			e.editManifest(t, func(m map[string]any) { key(m, 1)["state"] = "active" })
		}, observe.Malformed},
		{"a key file missing", func(t *testing.T, e *dirEnv) {
			require.NoError(t, os.Remove(filepath.Join(e.path, e.b.ID()+".pem")))
		}, observe.MissingKeyFile},
		{"empty key file", func(t *testing.T, e *dirEnv) { e.write(t, e.b.ID()+".pem", nil) }, observe.Malformed},
		{"key file of another algorithm", func(t *testing.T, e *dirEnv) {
			require.NoError(t, jwks.WriteSigningKey(filepath.Join(e.path, e.b.ID()+".pem"), testkit.Key(t, jwks.ES256, "")))
		}, observe.BadKey},
		{"manifest writable by the group", func(t *testing.T, e *dirEnv) {
			require.NoError(t, os.Chmod(filepath.Join(e.path, jwks.ManifestName), 0o660))
		}, observe.FileMode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDirEnv(t)
			d, reloads := e.observedDir(t)
			tc.breakIt(t, e)
			err := d.Reload(t.Context())
			require.Error(t, err)
			all := reloads.All()
			require.Len(t, all, 2)
			got := all[1]
			assert.Equal(t, observe.Refused, got.Outcome)
			assert.Equal(t, tc.want, got.Reason)
			assert.Equal(t, err, got.Err)
			assert.Equal(t, 2, got.Keys, "the last good state")
			assert.Zero(t, got.Added+got.Removed)
		})
	}
}

// A directory OpenDir cannot load is reported, with no keys; a panicking
// hook breaks no read.
func TestHooksKeyReloadOpenAndPanics(t *testing.T) {
	t.Parallel()
	reloads := new(testkit.Events[observe.KeyReload])
	_, err := jwks.OpenDir(t.Context(), jwks.DirConfig{Path: filepath.Join(t.TempDir(), "none"), Reload: -1, Hooks: &observe.Hooks{OnKeyReload: reloads.Add}})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Len(t, reloads.All(), 1)
	assert.Equal(t, observe.Refused, reloads.All()[0].Outcome)
	assert.Equal(t, observe.Missing, reloads.All()[0].Reason)
	assert.Zero(t, reloads.All()[0].Keys)

	e := newDirEnv(t)
	cfg := e.config()
	hooks := &observe.Hooks{OnKeyReload: func(context.Context, observe.KeyReload) { panic("boom") }, Logger: testkit.ErrorLogger(func(error) {})}
	cfg.Hooks = hooks
	d, err := jwks.OpenDir(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(d.Close)
	require.NoError(t, d.Reload(t.Context()))
	require.NoError(t, d.Publish(t.Context(), testkit.Key(t, jwks.EdDSA, "")))
	assert.Len(t, d.Keys(), 3)
	assert.EqualValues(t, 3, hooks.Panics())
}
