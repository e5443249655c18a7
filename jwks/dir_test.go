package jwks_test

import (
	"context"
	"crypto/elliptic"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// dirEnv is a key directory with an active ES256 key a and a published
// EdDSA key b, opened without polling on a step clock.
type dirEnv struct {
	path  string
	clock *authtest.Clock
	errs  *testkit.Errors
	dir   *jwks.Dir
	a, b  *jwks.SigningKey
}

// writerLock is the file of a key directory whose flock its writers hold.
const writerLock = ".keys.lock"

// testRetireAfter covers the ten-minute tokens of tokens() with the largest
// leeway.
const testRetireAfter = token.DefaultExecutionTTL + token.MaxLeeway

func newDirEnv(t *testing.T) *dirEnv {
	t.Helper()
	e := &dirEnv{path: filepath.Join(t.TempDir(), "keys"), clock: authtest.NewClock(t0), errs: &testkit.Errors{}}
	e.a, e.b = testkit.Key(t, jwks.ES256, ""), testkit.Key(t, jwks.EdDSA, "")
	var err error
	e.dir, err = jwks.InitDir(t.Context(), e.config(), e.a)
	require.NoError(t, err)
	t.Cleanup(e.dir.Close)
	require.NoError(t, e.dir.Publish(t.Context(), e.b))
	return e
}

// config is the env's DirConfig: no polling, the env's clock and logger.
func (e *dirEnv) config() jwks.DirConfig {
	return jwks.DirConfig{Path: e.path, Reload: -1, RetireAfter: testRetireAfter, Now: e.clock.Now, Logger: testkit.ErrorLogger(e.errs.Add)}
}

// open opens the env's directory again, as another replica.
func (e *dirEnv) open(t *testing.T) *jwks.Dir {
	t.Helper()
	d, err := jwks.OpenDir(t.Context(), e.config())
	require.NoError(t, err)
	t.Cleanup(d.Close)
	return d
}

// manifest returns the manifest as generic JSON.
func (e *dirEnv) manifest(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.path, jwks.ManifestName))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// states maps kid to state as dir lists them.
func states(d *jwks.Dir) map[string]jwks.KeyState {
	out := map[string]jwks.KeyState{}
	for _, k := range d.Keys() {
		out[k.ID] = k.State
	}
	return out
}

// tokens returns an issuer of ten-minute tokens and a verifier (with a
// verified-token cache) over keys, on clock.
func tokens(t testing.TB, keys interface {
	jwks.SigningKeys
	jwks.Lookup
}, clock *authtest.Clock) (*token.Issuer, *token.Verifier) {
	t.Helper()
	ttl := token.DefaultExecutionTTL
	iss, err := token.NewIssuer(token.IssuerConfig{
		Keys: keys, Issuer: "iss", Audience: []string{"aud"}, Now: clock.Now,
		TTL: token.Lifetimes{Workload: ttl, Execution: ttl, Processor: ttl},
	})
	require.NoError(t, err)
	ver, err := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "iss", Audience: []string{"aud"}, Now: clock.Now, CacheSize: 64})
	require.NoError(t, err)
	return iss, ver
}

// The life of a key in a directory: published, active, retiring, dropped
// by the clock, removed; with the manifest, the listing, signing,
// verifying and Generation at each step.
func TestDirLifecycle(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	d, ctx := e.dir, t.Context()
	iss, ver := tokens(t, d, e.clock)
	start := e.clock.Now()

	assert.Equal(t, e.a.ID(), d.Active().ID())
	assert.Equal(t, map[string]jwks.KeyState{e.a.ID(): jwks.StateActive, e.b.ID(): jwks.StatePublished}, states(d))
	assert.Equal(t, []string{e.a.ID(), e.b.ID()}, kids(d.PublicKeys()))
	assert.True(t, d.Holds(e.b.ID()), "a published key's tokens may be reissued")
	oldToken, err := iss.Execution(uuid.New())
	require.NoError(t, err)
	c, err := ver.Verify(ctx, string(oldToken))
	require.NoError(t, err)
	assert.Equal(t, e.a.ID(), c.KeyID(), "a published key does not sign")

	e.clock.Advance(time.Minute)
	gen := d.Generation()
	require.NoError(t, d.Activate(ctx, e.b.ID()))
	assert.NotEqual(t, gen, d.Generation())
	assert.Equal(t, e.b.ID(), d.Active().ID())
	newToken, err := iss.Execution(uuid.New())
	require.NoError(t, err)
	c, err = ver.Verify(ctx, string(newToken))
	require.NoError(t, err)
	assert.Equal(t, e.b.ID(), c.KeyID())
	_, err = ver.Verify(ctx, string(oldToken))
	require.NoError(t, err, "the retiring key verifies")
	listed := d.Keys()
	require.Len(t, listed, 2)
	assert.Equal(t, jwks.DirKey{
		ID: e.a.ID(), Algorithm: jwks.ES256, State: jwks.StateRetiring, Since: start.Add(time.Minute),
		RetiresAt: start.Add(time.Minute + testRetireAfter), File: e.a.ID() + ".pem",
	}, listed[0])
	assert.Equal(t, jwks.DirKey{ID: e.b.ID(), Algorithm: jwks.EdDSA, State: jwks.StateActive, Since: start.Add(time.Minute), File: e.b.ID() + ".pem"}, listed[1])
	require.NoError(t, d.Activate(ctx, e.b.ID()), "activating the active key changes nothing")
	assert.Equal(t, listed, d.Keys())

	// At RetiresAt the clock alone drops the key, on every replica alike.
	other := e.open(t)
	e.clock.Advance(testRetireAfter - time.Nanosecond)
	assert.True(t, d.Holds(e.a.ID()))
	gen = d.Generation()
	e.clock.Advance(time.Nanosecond)
	for _, r := range []*jwks.Dir{d, other} {
		assert.False(t, r.Holds(e.a.ID()))
		assert.Equal(t, jwks.StateRetired, states(r)[e.a.ID()])
		assert.Equal(t, []string{e.b.ID()}, kids(r.PublicKeys()))
	}
	assert.NotEqual(t, gen, d.Generation())
	_, err = ver.Verify(ctx, string(oldToken))
	require.ErrorIs(t, err, token.ErrUnknownKey)
	gen = d.Generation()
	require.NoError(t, d.Reload(ctx))
	assert.Equal(t, gen, d.Generation(), "reading the same directory again changes nothing")

	require.NoError(t, d.Remove(ctx, e.a.ID()))
	assert.Equal(t, map[string]jwks.KeyState{e.b.ID(): jwks.StateActive}, states(d))
	_, err = os.Stat(filepath.Join(e.path, e.a.ID()+".pem"))
	require.ErrorIs(t, err, os.ErrNotExist, "the key file is gone")
	assert.Empty(t, e.errs.All(), "no load failed")
}

// The manifest is the documented JSON; files are 0600 and no temporary
// file is left behind.
func TestDirFiles(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	require.NoError(t, e.dir.Activate(t.Context(), e.b.ID()))
	since := e.clock.Now().UTC().Format(time.RFC3339)
	retires := e.clock.Now().Add(testRetireAfter).UTC().Format(time.RFC3339)
	assert.Equal(t, map[string]any{
		"version": 1.0,
		"keys": []any{
			map[string]any{"kid": e.a.ID(), "alg": "ES256", "file": e.a.ID() + ".pem", "state": "retiring", "since": since, "retires_at": retires},
			map[string]any{"kid": e.b.ID(), "alg": "EdDSA", "file": e.b.ID() + ".pem", "state": "active", "since": since},
		},
	}, e.manifest(t))

	entries, err := os.ReadDir(e.path)
	require.NoError(t, err)
	var names []string
	for _, en := range entries {
		info, err := en.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), en.Name())
		if en.Name() != writerLock { // where the system has flock
			names = append(names, en.Name())
		}
	}
	assert.ElementsMatch(t, []string{jwks.ManifestName, e.a.ID() + ".pem", e.b.ID() + ".pem"}, names)
	info, err := os.Stat(e.path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())

	got, err := jwks.ReadSigningKey(filepath.Join(e.path, e.b.ID()+".pem"), "", "")
	require.NoError(t, err)
	assert.Equal(t, e.b.ID(), got.ID(), "a key file is an ordinary key file")
}

// Writes through one Dir reach another Dir on the same directory (another
// replica) when it reads the directory again, by polling or Reload.
func TestDirFollowsAnotherWriter(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	cfg := e.config()
	cfg.Reload = 5 * time.Millisecond
	replica, err := jwks.OpenDir(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(replica.Close)
	iss, _ := tokens(t, e.dir, e.clock)
	_, ver := tokens(t, replica, e.clock)

	require.NoError(t, e.dir.Activate(t.Context(), e.b.ID()))
	require.Eventually(t, func() bool { return replica.Active().ID() == e.b.ID() }, 10*time.Second, time.Millisecond, "polling picks up the activation")
	raw, err := iss.Workload(uuid.New())
	require.NoError(t, err)
	c, err := ver.Verify(t.Context(), string(raw))
	require.NoError(t, err)
	assert.Equal(t, e.b.ID(), c.KeyID())

	next := testkit.Key(t, jwks.ES384, "")
	require.NoError(t, e.dir.Publish(t.Context(), next))
	require.Eventually(t, func() bool { return replica.Holds(next.ID()) }, 10*time.Second, time.Millisecond)
	assert.NoError(t, replica.Err())
}

func TestDirRefuses(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	ctx := t.Context()
	kms, err := jwks.NewSigningKey("", jwks.ES256, &kmsSigner{inner: ecKey(t, elliptic.P256())})
	require.NoError(t, err)
	text, err := jwks.GenerateTextSecret(jwks.HS256)
	require.NoError(t, err)
	before := e.manifest(t)
	tests := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"init over a key directory", func() error { _, err := jwks.InitDir(ctx, e.config(), e.a); return err }, os.ErrExist},
		{"open without path", func() error { _, err := jwks.OpenDir(ctx, jwks.DirConfig{}); return err }, jwks.ErrConfig},
		{"open with negative RetireAfter", func() error {
			_, err := jwks.OpenDir(ctx, jwks.DirConfig{Path: e.path, RetireAfter: -1})
			return err
		}, jwks.ErrConfig},
		{"open a directory without manifest", func() error { _, err := jwks.OpenDir(ctx, jwks.DirConfig{Path: t.TempDir()}); return err }, os.ErrNotExist},
		{"publish a kid already there", func() error { return e.dir.Publish(ctx, e.b) }, jwks.ErrInvalidKID},
		{"publish nil", func() error { return e.dir.Publish(ctx, nil) }, jwks.ErrUnsupportedKey},
		{"publish a KMS key", func() error { return e.dir.Publish(ctx, kms) }, jwks.ErrNotExportable},
		{"publish a secret given as text", func() error { return e.dir.Publish(ctx, text) }, jwks.ErrUnsupportedKey},
		{"activate an unknown kid", func() error { return e.dir.Activate(ctx, "zz") }, jwks.ErrUnknownKey},
		{"remove the active key", func() error { return e.dir.Remove(ctx, e.a.ID()) }, jwks.ErrActiveKey},
		{"remove an unknown kid", func() error { return e.dir.Remove(ctx, "zz") }, jwks.ErrUnknownKey},
		{"write after ctx ended", func() error {
			done, cancel := context.WithCancel(ctx)
			cancel()
			return e.dir.Activate(done, e.b.ID())
		}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.op(), tc.wantErr)
		})
	}
	assert.Equal(t, before, e.manifest(t), "no failed call changed the manifest")
	entries, err := os.ReadDir(e.path)
	require.NoError(t, err)
	entries = slices.DeleteFunc(entries, func(en os.DirEntry) bool { return en.Name() == writerLock })
	assert.Len(t, entries, 3, "no file left by a failed call")
	assert.Equal(t, e.a.ID(), e.dir.Active().ID())
}

// A key directory is checked as a keyring is: an issuer whose tokens
// outlive what Activate lets a replaced key verify is refused.
func TestDirRetireAfterCoversLifetimes(t *testing.T) {
	t.Parallel()
	e := newDirEnv(t)
	assert.Equal(t, testRetireAfter, e.dir.RetireAfter())
	_, err := token.NewIssuer(token.IssuerConfig{Keys: e.dir, Issuer: "iss", Audience: []string{"aud"}}) // 24h tokens
	require.ErrorIs(t, err, token.ErrConfig)
	cfg := e.config()
	cfg.RetireAfter = 0 // the default, 24h5m
	d, err := jwks.OpenDir(t.Context(), cfg)
	require.NoError(t, err)
	defer d.Close()
	_, err = token.NewIssuer(token.IssuerConfig{Keys: d, Issuer: "iss", Audience: []string{"aud"}})
	require.NoError(t, err)
	keys, complete := d.ListKeys()
	assert.True(t, complete)
	assert.Equal(t, []string{e.a.ID(), e.b.ID()}, kids(keys))
}
