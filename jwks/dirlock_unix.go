//go:build unix

package jwks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockFileName is the file of a key directory that a writer holds an
// exclusive flock on while it reads, changes and writes the manifest, so
// that writers in several processes take turns instead of losing one
// another's changes. Loads never take it.
const lockFileName = ".keys.lock"

// lockWriters waits for the writer lock of the key directory dir, polling
// every 10 ms, until ctx ends. unlock releases it.
func lockWriters(ctx context.Context, dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("jwks: key directory lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = f.Close() }, nil // closing the file releases its flock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("jwks: key directory lock: %w", err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("jwks: key directory lock held by another writer: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
