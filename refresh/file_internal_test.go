package refresh

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/token"
)

// TestFileSourceReadOutsideLock: a read that stalls (a hung network file
// system) holds no lock: its caller stops waiting when its context ends,
// callers the cache can serve are answered at once, and the read goes on
// for the callers still waiting.
func TestFileSourceReadOutsideLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(path, []byte("aaaa.aaaa.aaaa"), 0o600))
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := NewFileSource(FileSourceConfig{Path: path, Now: func() time.Time { return at }})
	require.NoError(t, err)

	started, release := make(chan struct{}, 8), make(chan struct{})
	var reads atomic.Int32
	s.readFile = func(p string) (token.Raw, fs.FileMode, error) {
		reads.Add(1)
		started <- struct{}{}
		<-release
		return readTokenFile(p)
	}
	require.NoError(t, os.WriteFile(path, []byte("bbbb.bbbb.bbbb"), 0o600))

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() { _, err := s.Reload(ctx); first <- err }()
	<-started
	cancel()
	require.ErrorIs(t, <-first, context.Canceled, "the caller's context ends its wait")

	tok, err := s.Token(t.Context())
	require.NoError(t, err, "the cache answers while the read stalls")
	assert.Equal(t, token.Raw("aaaa.aaaa.aaaa"), tok)

	// The read goes on for the others: once it ends, its token is served.
	close(release)
	tok, err = s.Reload(t.Context())
	require.NoError(t, err)
	assert.Equal(t, token.Raw("bbbb.bbbb.bbbb"), tok)
	assert.LessOrEqual(t, reads.Load(), int32(2), "the stalled read, and at most one more")
}
