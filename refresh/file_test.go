package refresh_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// fileSource provisions first to a new file and opens a FileSource on it.
func fileSource(t *testing.T, c *authtest.Clock, cacheFor time.Duration, first string) (*refresh.FileSource, string, *testkit.Buffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(path, []byte(first), 0o600))
	logs := new(testkit.Buffer)
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: path, CacheFor: cacheFor, Logger: logs.Logger(), Now: c.Now})
	require.NoError(t, err)
	return src, path, logs
}

func tokenAt(t *testing.T, src refresh.Source) token.Raw {
	t.Helper()
	tok, err := src.Token(t.Context())
	require.NoError(t, err)
	return tok
}

func TestNewFileSource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content *string // nil: no file
		want    token.Raw
		wantErr error
	}{
		{name: "missing file", wantErr: fs.ErrNotExist},
		{name: "empty file", content: ptr(""), wantErr: refresh.ErrTokenFile},
		{name: "only whitespace", content: ptr(" \n\t\r\n"), wantErr: refresh.ErrTokenFile},
		{name: "two lines", content: ptr("aaaa.aaaa.aaaa\nbbbb.bbbb.bbbb\n"), wantErr: refresh.ErrTokenFile},
		{name: "space inside", content: ptr("aaaa.aa aa.aaaa"), wantErr: refresh.ErrTokenFile},
		{name: "NUL inside", content: ptr("aaaa.aa\x00aa.aaaa"), wantErr: refresh.ErrTokenFile},
		{name: "surrounding whitespace trimmed", content: ptr("\n  aaaa.aaaa.aaaa \r\n"), want: tokA},
		{name: "garbage served as provisioned", content: ptr("not-a-jwt\n"), want: "not-a-jwt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "token")
			if tc.content != nil {
				require.NoError(t, os.WriteFile(path, []byte(*tc.content), 0o600))
			}
			src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: path})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, src)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, tokenAt(t, src))
			assert.True(t, src.Pinned())
		})
	}
}

func ptr(s string) *string { return &s }

func TestNewFileSourceConfig(t *testing.T) {
	t.Parallel()
	_, err := refresh.NewFileSource(refresh.FileSourceConfig{})
	require.ErrorIs(t, err, refresh.ErrConfig)
	_, err = refresh.NewFileSource(refresh.FileSourceConfig{Path: "x", CacheFor: -time.Second})
	require.ErrorIs(t, err, refresh.ErrConfig)
}

func TestFileSourceCache(t *testing.T) {
	t.Parallel()
	c := authtest.NewClock(t0)
	src, path, _ := fileSource(t, c, 0, string(tokA)) // default 30s
	require.NoError(t, refresh.WriteTokenFile(path, tokB))

	c.Set(t0.Add(29 * time.Second))
	assert.Equal(t, tokA, tokenAt(t, src), "cached for 30s")
	c.Set(t0.Add(30 * time.Second))
	assert.Equal(t, tokB, tokenAt(t, src), "read again after 30s")

	require.NoError(t, refresh.WriteTokenFile(path, tokC))
	reloaded, err := src.Reload(t.Context())
	require.NoError(t, err)
	assert.Equal(t, tokC, reloaded, "Reload reads at once")
	assert.Equal(t, tokC, tokenAt(t, src))
}

func TestFileSourceKeepsLastGood(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(t *testing.T, path string)
	}{
		{name: "missing", spoil: func(t *testing.T, path string) { require.NoError(t, os.Remove(path)) }},
		{name: "empty", spoil: func(t *testing.T, path string) { require.NoError(t, os.WriteFile(path, nil, 0o600)) }},
		{name: "unreadable", spoil: func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
			require.NoError(t, os.Mkdir(path, 0o700)) // reading a directory fails for any user
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := authtest.NewClock(t0)
			src, path, logs := fileSource(t, c, 10*time.Second, string(tokA))
			tc.spoil(t, path)

			c.Advance(10 * time.Second)
			assert.Equal(t, tokA, tokenAt(t, src))
			reloaded, err := src.Reload(t.Context())
			require.NoError(t, err)
			assert.Equal(t, tokA, reloaded)
			assert.Contains(t, logs.String(), "keeping the last token")
			assert.NotContains(t, logs.String(), string(tokA))

			// The file comes back: picked up within a second, not a whole CacheFor.
			require.NoError(t, os.RemoveAll(path))
			require.NoError(t, refresh.WriteTokenFile(path, tokB))
			c.Advance(time.Second)
			assert.Equal(t, tokB, tokenAt(t, src))
		})
	}
}

// TestFileSourceNearExpiry: the token's own exp (read unverified) brings the
// next read forward.
func TestFileSourceNearExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	processor := func(iat time.Time, life time.Duration) token.Raw {
		return mintWith(t, f.issuer, token.Claims{
			Subject: "dag-processor", Scope: scope.Set{scope.Processor}, IssuedAt: iat, ExpiresAt: iat.Add(life),
		})
	}
	tests := []struct {
		name  string
		life  time.Duration
		early time.Duration // when the read is due, from t0
	}{
		{name: "short token: one minute before exp", life: 2 * time.Minute, early: time.Minute},
		{name: "long token: at 75% of its life", life: time.Hour, early: 45 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := authtest.NewClock(t0)
			// second is already inside its own early window when read (the
			// provisioner is late): reads are then spaced by a second, not done
			// on every call.
			first, second, third := processor(t0, tc.life), processor(t0.Add(-10*time.Second), tc.life), processor(t0, 2*tc.life)
			src, path, _ := fileSource(t, c, 24*time.Hour, string(first))
			require.NoError(t, refresh.WriteTokenFile(path, second))

			c.Set(t0.Add(tc.early - time.Second))
			assert.Equal(t, first, tokenAt(t, src), "not yet near exp")
			c.Set(t0.Add(tc.early))
			assert.Equal(t, second, tokenAt(t, src), "near exp: read again")

			require.NoError(t, refresh.WriteTokenFile(path, third))
			c.Advance(999 * time.Millisecond)
			assert.Equal(t, second, tokenAt(t, src))
			c.Advance(time.Millisecond)
			assert.Equal(t, third, tokenAt(t, src))
		})
	}
}

// TestFileSourceGarbage: content without a readable exp is served as it is
// and cached for the plain CacheFor.
func TestFileSourceGarbage(t *testing.T) {
	t.Parallel()
	tests := []string{"not-a-jwt", "aaaa.!!!!.aaaa", "aaaa.bm90IGpzb24.aaaa", "aaaa.eyJleHAiOiJzb29uIn0.aaaa"}
	for _, content := range tests {
		t.Run(content, func(t *testing.T) {
			t.Parallel()
			c := authtest.NewClock(t0)
			src, path, _ := fileSource(t, c, time.Minute, content)
			assert.Equal(t, token.Raw(content), tokenAt(t, src))
			require.NoError(t, refresh.WriteTokenFile(path, tokB))
			c.Advance(59 * time.Second)
			assert.Equal(t, token.Raw(content), tokenAt(t, src))
			c.Advance(time.Second)
			assert.Equal(t, tokB, tokenAt(t, src))
		})
	}
}

func TestFileSourceCanceled(t *testing.T) {
	t.Parallel()
	src, _, _ := fileSource(t, authtest.NewClock(t0), 0, string(tokA))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := src.Token(ctx)
	require.ErrorIs(t, err, context.Canceled)
	_, err = src.Reload(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestWriteTokenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))

	require.NoError(t, refresh.WriteTokenFile(path, tokA))

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(tokA)+"\n", string(b))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")
}

func TestWriteTokenFileRejects(t *testing.T) {
	t.Parallel()
	for _, raw := range []token.Raw{"", "not-a-jwt", "aaaa.aaaa.aaaa\n", "aaaa.aaaa.aaaa\nbbbb.bbbb.bbbb", "aa aa.aaaa.aaaa"} {
		path := filepath.Join(t.TempDir(), "token")
		err := refresh.WriteTokenFile(path, raw)
		require.ErrorIs(t, err, refresh.ErrMalformed)
		_, err = os.Stat(path)
		require.ErrorIs(t, err, fs.ErrNotExist, "nothing written")
	}
}
