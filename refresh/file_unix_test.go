//go:build unix

package refresh_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// hangGuard bounds a call that must not block: the old FileSource opened a
// FIFO with a blocking open, under its lock, and never returned.
const hangGuard = 10 * time.Second

// within runs f and fails the test if it has not returned by hangGuard.
func within[T any](t *testing.T, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(hangGuard):
		t.Fatal("blocked: the call did not return")
		panic("unreachable")
	}
}

// TestFileSourceRefusesFIFO: a token path that names a FIFO nobody writes
// (a hostile or mistaken provisioner) neither stalls the constructor nor,
// once swapped in under a running source, its callers: the FIFO is refused
// as not a regular file and the last good token kept, for every caller at
// once, each within its own deadline.
func TestFileSourceRefusesFIFO(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "token")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	err := within(t, func() error {
		_, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: fifo})
		return err
	})
	require.ErrorIs(t, err, refresh.ErrTokenFile)
	assert.Contains(t, err.Error(), "not a regular file")

	c := authtest.NewClock(t0)
	src, path, logs := fileSource(t, c, 10*time.Second, string(tokA))
	require.NoError(t, os.Remove(path))
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	c.Advance(10 * time.Second) // the next Token reads the file

	const callers = 8
	var wg sync.WaitGroup
	got := make([]token.Raw, callers)
	errs := make([]error, callers)
	within(t, func() struct{} {
		for i := range callers {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
				defer cancel()
				if i%2 == 0 {
					got[i], errs[i] = src.Reload(ctx)
				} else {
					got[i], errs[i] = src.Token(ctx)
				}
			})
		}
		wg.Wait()
		return struct{}{}
	})
	for i := range callers {
		require.NoError(t, errs[i])
		assert.Equal(t, tokA, got[i], "the last good token")
	}
	assert.Contains(t, logs.String(), "not a regular file")
	assert.NotContains(t, logs.String(), string(tokA))
}

// TestFileSourceRefusesDevice: a device is refused without reading it.
func TestFileSourceRefusesDevice(t *testing.T) {
	t.Parallel()
	for _, dev := range []string{os.DevNull, "/dev/zero"} {
		_, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: dev})
		require.ErrorIs(t, err, refresh.ErrTokenFile)
		assert.Contains(t, err.Error(), "not a regular file")
	}
}

// TestFileSourceFollowsSymlink: the path may be a symbolic link, swapped to
// a new file by the provisioner; the file it names is read.
func TestFileSourceFollowsSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, refresh.WriteTokenFile(a, tokA))
	require.NoError(t, refresh.WriteTokenFile(b, tokB))
	link := filepath.Join(dir, "token")
	require.NoError(t, os.Symlink(a, link))
	src, err := refresh.NewFileSource(refresh.FileSourceConfig{Path: link, Logger: new(testkit.Buffer).Logger()})
	require.NoError(t, err)
	assert.Equal(t, tokA, tokenAt(t, src))

	next := filepath.Join(dir, "next")
	require.NoError(t, os.Symlink(b, next))
	require.NoError(t, os.Rename(next, link)) // an atomic swap of the link
	got, err := src.Reload(t.Context())
	require.NoError(t, err)
	assert.Equal(t, tokB, got)

	// A link to a FIFO is refused like the FIFO.
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	require.NoError(t, os.Symlink(fifo, next))
	require.NoError(t, os.Rename(next, link))
	got = within(t, func() token.Raw {
		tok, err := src.Reload(t.Context())
		require.NoError(t, err)
		return tok
	})
	assert.Equal(t, tokB, got, "the last good token")
}

// TestFileSourceWarnsOnWritableFile: a token file others may write is read
// and reported once, without its content.
func TestFileSourceWarnsOnWritableFile(t *testing.T) {
	t.Parallel()
	for _, mode := range []os.FileMode{0o620, 0o602, 0o666} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			c := authtest.NewClock(t0)
			src, path, logs := fileSource(t, c, time.Second, string(tokA))
			require.NoError(t, os.Chmod(path, mode))
			c.Advance(time.Second)
			assert.Equal(t, tokA, tokenAt(t, src))
			c.Advance(time.Second)
			assert.Equal(t, tokA, tokenAt(t, src))
			assert.Equal(t, 1, strings.Count(logs.String(), "writable by group or others"), "reported once")
			assert.NotContains(t, logs.String(), string(tokA))
		})
	}
	c := authtest.NewClock(t0)
	_, _, logs := fileSource(t, c, time.Second, string(tokA)) // 0600
	assert.NotContains(t, logs.String(), "writable")
}
